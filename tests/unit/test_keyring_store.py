"""The keyring store with an in-memory backend (never the user's real keyring), and the
fail / locked / plaintext backends giving clear errors."""

from __future__ import annotations

import argparse
import io

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from checks.creds.store import SERVICE, StoreError, delete_secret, get_secret, set_secret
from checks.secrets import Secret
from tests.canary import MemoryKeyring
from tui.cli import UsageError
from tui.commands.relay_args import relay_from_args

CANARY = "CANARY-keyring-secret-91ab"



class LockedOnWriteKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")



def test_set_get_delete(memory: MemoryKeyring) -> None:
    set_secret("alias", Secret(CANARY))
    assert memory.items == {(SERVICE, "alias:relay_password"): CANARY}
    assert get_secret("alias") == Secret(CANARY)
    assert delete_secret("alias") and not delete_secret("alias")
    assert get_secret("alias") is None


@pytest.mark.parametrize("backend", [fail.Keyring(), LockedOnWriteKeyring()])
def test_unusable_backends(backend: keyring.backend.KeyringBackend) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        with pytest.raises(StoreError) as info:
            set_secret("alias", Secret(CANARY))
    finally:
        keyring.set_keyring(before)
    assert "keyring" in str(info.value).lower() and CANARY not in str(info.value)
    assert "--relay-password-stdin" not in str(info.value)  # commands add their own flags


def test_relay_from_flags_and_stdin(memory: MemoryKeyring) -> None:
    args = argparse.Namespace(relay_host="Email-SMTP.us-east-1.amazonaws.com", relay_port=None,
                              relay_tls="tls", relay_user="AKIAIOSFODNN7EXAMPLE",
                              relay_password_stdin=True, profile_name=None)
    relay = relay_from_args(args, io.StringIO(CANARY + "\n"))
    assert relay is not None and relay.port == 465 and relay.password == Secret(CANARY)
    assert CANARY not in repr(relay)


def test_relay_needs_user() -> None:
    args = argparse.Namespace(relay_host="smtp.example.com", relay_port=None, relay_tls=None,
                              relay_user=None, relay_password_stdin=False, profile_name=None)
    with pytest.raises(UsageError, match="--relay-user"):
        relay_from_args(args)
