"""Checks of the ses layer."""
