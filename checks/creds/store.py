"""Relay credentials in the OS keyring (service `mailpath`), never in a file.

When no usable keyring exists (headless Linux: keyring's `fail` backend; a locked or
unreachable Secret Service) the functions raise StoreError saying what to do. There is
no plaintext fallback: plaintext backends (keyrings.alt) are refused too.
"""

from __future__ import annotations

import os

import keyring
import keyring.backend
import keyring.errors

from checks.secrets import Secret

SERVICE = "mailpath"

NO_BACKEND = (
    "No usable OS keyring. On a desktop, unlock your keyring (GNOME Keyring, KWallet, "
    "macOS Keychain, Windows Credential Manager). On a headless Linux machine, install and "
    "unlock a Secret Service (gnome-keyring) in a D-Bus session. mailpath never stores "
    "passwords in a plain file."
)
LOCKED = (
    "The OS keyring is locked or refused access. Unlock it (log in to the desktop session, or "
    "`gnome-keyring-daemon --unlock` on a headless machine) and try again."
)
BAD_BACKEND = (
    "The keyring backend in PYTHON_KEYRING_BACKEND ({name!r}) cannot be loaded ({error}): "
    "unset it to use the OS keyring, or name an installed backend."
)
_PLAINTEXT_MODULES = ("keyrings.alt.file", "keyrings.alt.Gnome", "keyrings.cryptfile")


class StoreError(Exception):
    """The keyring could not be used; the message says what to do."""


def _account(profile: str, kind: str) -> str:
    return f"{profile}:{kind}"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict of this process only: the demo's keyring (it never touches the OS
    keyring) and the tests'. Priority > 0, so `usable_backend` accepts it."""

    priority = 1

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


def usable_backend() -> keyring.backend.KeyringBackend:
    """The active backend, or StoreError when it is the fail backend or a plaintext file."""
    backend = _load_backend()
    module = type(backend).__module__
    try:
        priority = float(getattr(backend, "priority", 1))
    except Exception as exc:  # noqa: BLE001 - a backend's priority is its own code (D-Bus)
        raise _backend_failed(backend, "say whether it is usable", exc) from None
    if module.startswith("keyring.backends.fail") or priority <= 0:
        raise StoreError(NO_BACKEND)
    if module.startswith(_PLAINTEXT_MODULES):
        raise StoreError(f"Refusing the file-based keyring {type(backend).__name__}. "
                         + NO_BACKEND)
    return backend


def _load_backend() -> keyring.backend.KeyringBackend:
    """keyring's active backend; any failure to load it (a bad PYTHON_KEYRING_BACKEND, a
    broken keyring config file, a backend that raises on import) becomes StoreError."""
    try:
        return keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - keyring loads third-party code by name
        name = os.environ.get("PYTHON_KEYRING_BACKEND")
        if name:
            raise StoreError(BAD_BACKEND.format(name=name, error=type(exc).__name__)) from None
        raise StoreError(f"The keyring backend cannot be loaded ({type(exc).__name__}). "
                         + NO_BACKEND) from None


def _translate(exc: keyring.errors.KeyringError) -> StoreError:
    if isinstance(exc, keyring.errors.NoKeyringError):
        return StoreError(NO_BACKEND)
    if isinstance(exc, keyring.errors.KeyringLocked | keyring.errors.InitError):
        return StoreError(LOCKED)
    return StoreError(f"The OS keyring failed ({type(exc).__name__}). {LOCKED}")


def _backend_failed(backend: keyring.backend.KeyringBackend, operation: str,
                    exc: BaseException) -> StoreError:
    """Any other exception a backend raises (a D-Bus error, a bug in a third-party backend):
    named by the backend and the operation only. The exception's text is never shown: a
    backend may put the secret in it."""
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    return StoreError(f"The keyring backend {name} failed to {operation} "
                      f"({type(exc).__name__}; its message is not shown, as it may hold the "
                      "secret). Make sure the keyring service (Secret Service, KWallet, macOS "
                      "Keychain, Windows Credential Manager) is running and unlocked, and try "
                      "again.")


def set_secret(profile: str, secret: Secret, kind: str = "relay_password") -> None:
    backend = usable_backend()
    try:
        backend.set_password(SERVICE, _account(profile, kind), secret.reveal())
    except keyring.errors.KeyringError as exc:
        raise _translate(exc) from None
    except Exception as exc:  # noqa: BLE001 - the boundary to third-party backend code
        raise _backend_failed(backend, f"store {profile}:{kind}", exc) from None


def get_secret(profile: str, kind: str = "relay_password") -> Secret | None:
    backend = usable_backend()
    try:
        value = backend.get_password(SERVICE, _account(profile, kind))
    except keyring.errors.KeyringError as exc:
        raise _translate(exc) from None
    except Exception as exc:  # noqa: BLE001 - the boundary to third-party backend code
        raise _backend_failed(backend, f"read {profile}:{kind}", exc) from None
    if value is not None and not isinstance(value, str):
        raise StoreError(f"The keyring backend {type(backend).__qualname__} returned a "
                         f"{type(value).__name__} for {profile}:{kind}, not a password.")
    return Secret(value) if value is not None else None


def delete_secret(profile: str, kind: str = "relay_password") -> bool:
    """Remove the secret; False when there was none."""
    backend = usable_backend()
    try:
        backend.delete_password(SERVICE, _account(profile, kind))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise _translate(exc) from None
    except Exception as exc:  # noqa: BLE001 - the boundary to third-party backend code
        raise _backend_failed(backend, f"delete {profile}:{kind}", exc) from None
    return True
