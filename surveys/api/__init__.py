"""The JSON API of the reports (Django REST framework)."""
