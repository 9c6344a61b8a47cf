"""A deterministic, believable demo data set (``manage.py seed_demo``)."""

from .seed import DemoResult, demo_anchor, demo_delete, demo_exists, demo_seed

__all__ = ["DemoResult", "demo_anchor", "demo_delete", "demo_exists", "demo_seed"]
