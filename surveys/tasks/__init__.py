"""Celery tasks: thin interfaces that take ids and call services, one module per concern.

Celery's autodiscovery imports ``surveys.tasks``; importing the modules here registers them.
"""

from .health import worker_heartbeat

__all__ = ["worker_heartbeat"]
