"""Credentials: SES SMTP password derivation (and, later, keyring storage and rotation)."""
