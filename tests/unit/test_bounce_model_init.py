"""The bounce results whose __init__ is written out by hand (for speed: see checks/bounce/
model.py) take exactly their dataclass fields, in field order, with the fields' own
defaults, and store each one: a field added or a default changed in one place only fails
here."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from checks.bounce.mail import EMPTY, MailParts
from checks.bounce.model import BounceReport, RecipientResult

CLASSES = (RecipientResult, BounceReport, MailParts)


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return inspect.Parameter.empty


@pytest.mark.parametrize("cls", CLASSES)
def test_init_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [_default(f) for f in fields]


@pytest.mark.parametrize("cls", CLASSES)
def test_every_field_is_stored_and_stays_frozen(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = {f.name: _sample(f.name, i) for i, f in enumerate(fields)}
    made = cls(**values)
    assert {f.name: getattr(made, f.name) for f in fields} == values
    assert dataclasses.replace(made) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, fields[0].name, values[fields[0].name])


def _sample(name: str, i: int) -> Any:
    """A distinct value per field (the types do not matter to storing them)."""
    return EMPTY if name == "headers" else f"value {i}"
