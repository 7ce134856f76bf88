"""The checks, one module (or package) per layer. Importing this package registers them all."""

from checks.layers import dns, gmail_relay, recipient, ses  # noqa: F401
