"""Checks of the dns_auth layer."""
