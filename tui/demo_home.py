"""The demo's private state: a temporary settings folder and an in-memory keyring.

`mailpath demo` promises to touch no real account and no real keyring. Its settings,
recent inputs, rotation state and audit log go to a temporary folder removed at exit, and
its secrets to a keyring that lives only in this process, seeded with the scenario's relay
profile (the credentials as the user stored them, stale in the seed story), so the
Credentials screen and rotation run for real against the lab.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.context import Context

#: the stored profile the scenario's relay becomes
DEMO_PROFILE = "gmail-alias"


def private_keyring() -> Any:
    """A keyring backend holding secrets in this process only. keyring loads here, after
    the first frame."""
    from checks.creds.store import MemoryKeyring

    class PrivateKeyring(MemoryKeyring):
        """The demo's own keyring (its name tells it apart from the OS keyring's)."""

    return PrivateKeyring()


@contextmanager
def private_config() -> Iterator[Path]:
    """A settings file path in a temporary folder, removed (with all beside it) at the end."""
    with tempfile.TemporaryDirectory(prefix="mailpath-demo-") as folder:
        yield Path(folder) / "config.toml"


def use_private_keyring() -> Any:
    """Make this process's keyring an empty in-memory one (keyring's own way to choose a
    backend); the OS keyring is then never read or written."""
    import keyring

    backend = private_keyring()
    keyring.set_keyring(backend)
    return backend


def private_state(ctx: Context, config: Path) -> None:
    """The demo's keyring and settings: private, seeded with the scenario's relay profile
    (`ctx`: a Context or a running lab, anything with `inputs` and `endpoints`)."""
    use_private_keyring()
    seed_profile(ctx, config)


def seed_profile(ctx: Context, config: Path) -> str | None:
    """Store the lab's relay as the user would have: a profile plus its keyring password.
    Returns the profile name, or None when the scenario has no relay."""
    from checks.config import Profile, save_profile
    from checks.creds.store import set_secret

    relay = ctx.inputs.relay
    if relay is None:
        return None
    save_profile(Profile(DEMO_PROFILE, sender=ctx.inputs.sender,
                         region=ctx.endpoints.aws_region, relay_host=relay.host,
                         relay_port=relay.port, relay_tls=relay.tls,
                         relay_user=relay.username), config)
    if relay.password is not None:
        set_secret(DEMO_PROFILE, relay.password)
    return DEMO_PROFILE
