"""Optional integrations with ticket systems that run in the same Django project."""
