"""The nightly retention task as beat sends it: through Redis to a real worker, on PostgreSQL."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import models as m
from surveys.tasks.privacy import personal_data_retention
from tests.factories import TicketFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_blanks_old_subjects_and_keeps_new_ones(celery_worker_real, settings):
    settings.RETENTION_DAYS = 30
    old = TicketFactory(subject="Old subject naming someone")
    new = TicketFactory(subject="New subject")
    past = timezone.now() - timedelta(days=31)
    m.Ticket.objects.filter(pk=old.pk).update(opened_at=past - timedelta(hours=1), first_response_at=None,
                                              resolved_at=past, closed_at=past)

    personal_data_retention.delay()

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and m.Ticket.objects.get(pk=old.pk).subject:
        time.sleep(0.1)
    assert m.Ticket.objects.get(pk=old.pk).subject == ""
    assert m.Ticket.objects.get(pk=new.pk).subject == "New subject"
