"""Checks of the gmail_relay layer."""
