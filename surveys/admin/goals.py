"""Admin for this concern (filled in)."""
