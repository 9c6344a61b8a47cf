"""Nightly retention of personal data (docs/privacy.md)."""

import logging

from celery import shared_task
from django.conf import settings

from ..services.privacy import personal_data_retention_apply

logger = logging.getLogger(__name__)


@shared_task(name="surveys.tasks.personal_data_retention")
def personal_data_retention() -> None:
    """Beat runs this nightly. With RETENTION_DAYS set, anonymises what is older (see the
    service); off (0) it does nothing. Rows are updated in batches, so a run cut short by the
    time limit leaves the rest to the next night."""
    if not settings.RETENTION_DAYS:
        return
    result = personal_data_retention_apply(days=settings.RETENTION_DAYS)
    logger.info("retention (%s days): %s", settings.RETENTION_DAYS, result)
