"""The screens of the mailpath TUI; each owns its behaviour."""
