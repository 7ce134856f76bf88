"""The checks, one module per layer. Importing this package registers them all."""

from checks.layers import dns_auth, gmail_relay, recipient, ses  # noqa: F401
