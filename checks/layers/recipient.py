"""Checks of the recipient layer."""
