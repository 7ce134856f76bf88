"""mailpath's check engine: no UI code; importable and testable on its own."""
