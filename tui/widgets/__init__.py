"""Widgets of the mailpath TUI: they show state handed down to them and post messages up."""
