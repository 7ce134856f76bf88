"""Shared fixtures: labs (the local stand-ins for AWS, DNS, SMTP and HTTPS) for any scenario.

    def test_x(seed_lab):               # one seed lab per test module (do not mutate it)
    def test_y(lab_factory):            # a fresh lab per test: lab = lab_factory("healthy")
    def test_z(module_lab_factory):     # module-scoped labs for other scenarios

`lab.endpoints`, `lab.inputs`, `lab.relay` build a `checks.context.Context`.

Property tests take their size from one hypothesis profile, never their own max_examples:
"ci" (the default, FUZZ_CI examples, derandomized) or "full" (FUZZ_FULL per test, random).
Pick one with `pytest --hypothesis-profile=full`, or MAILPATH_FUZZ_EXAMPLES=N for N examples
(tests/bench/fuzz.py runs the full size and prints the counts per parser).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

FUZZ_CI = 100
FUZZ_FULL = 10_000
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _register_profiles() -> None:
    """ci, full and (from MAILPATH_FUZZ_EXAMPLES) env; loads env if set, else ci."""
    settings.register_profile("ci", max_examples=FUZZ_CI, deadline=None, derandomize=True,
                              suppress_health_check=_QUIET)
    settings.register_profile("full", max_examples=FUZZ_FULL, deadline=None,
                              suppress_health_check=_QUIET)
    examples = os.environ.get("MAILPATH_FUZZ_EXAMPLES", "")
    if examples.isdigit() and int(examples) > 0:
        settings.register_profile("env", max_examples=int(examples), deadline=None,
                                  derandomize=int(examples) < 1000, suppress_health_check=_QUIET)
        settings.load_profile("env")
    else:
        settings.load_profile("ci")


_register_profiles()

LabFactory = Callable[..., Any]


@contextlib.contextmanager
def _factory() -> Iterator[LabFactory]:
    from checks.lab import start_lab

    with contextlib.ExitStack() as stack:
        def make(scenario: Any = "seed", **kwargs: Any) -> Any:
            return stack.enter_context(start_lab(scenario, **kwargs))
        yield make


@pytest.fixture
def lab_factory() -> Iterator[LabFactory]:
    """Start labs inside one test: `lab_factory("seed", delay=0.0)`; all stop at teardown."""
    with _factory() as make:
        yield make


@pytest.fixture(scope="module")
def module_lab_factory() -> Iterator[LabFactory]:
    """Like lab_factory, but the labs live for the whole test module."""
    with _factory() as make:
        yield make


@pytest.fixture(scope="module")
def seed_lab(module_lab_factory: LabFactory) -> Any:
    """The seed scenario's lab, shared by a module. Tests that change state use lab_factory."""
    return module_lab_factory("seed")


@pytest.fixture(scope="module")
def healthy_lab(module_lab_factory: LabFactory) -> Any:
    """The healthy scenario's lab, shared by a module."""
    return module_lab_factory("healthy")


@pytest.fixture
def fresh_seed_lab(lab_factory: LabFactory) -> Any:
    """A seed lab of its own for one test (free to rotate keys or remove suppressions)."""
    return lab_factory("seed")


@pytest.fixture
def memory() -> Iterator[Any]:
    """An in-memory keyring for this test; the user's real keyring is never touched."""
    import keyring

    from tests.canary import MemoryKeyring

    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)
