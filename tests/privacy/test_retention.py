"""RETENTION_DAYS: the nightly task anonymises what is older, keeps what is newer, and keeps
every count and score. Time is moved explicitly with time-machine."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from surveys import models as m
from surveys.services.privacy import RETENTION_ERROR, personal_data_retention_apply
from surveys.tasks.privacy import personal_data_retention
from tests.privacy.conftest import COMMENT, NOTES, SMTP_ERROR, SUBJECT, mentions_customer

pytestmark = pytest.mark.django_db
DAYS = 30


@pytest.fixture
def old_and_new(footprint):
    """The footprint as it stood DAYS + 1 days ago, plus the same kinds of rows made now."""
    past = timezone.now() - timedelta(days=DAYS + 1)
    m.Response.objects.filter(pk=footprint.response.pk).update(started_at=past)
    m.Ticket.objects.filter(pk=footprint.ticket.pk).update(opened_at=past - timedelta(hours=8), closed_at=past,
                                                          first_response_at=None, resolved_at=past)
    m.TicketEvent.objects.filter(pk__in=[footprint.applied_event.pk, footprint.stray_event.pk]).update(
        received_at=past
    )
    m.FollowUp.objects.filter(pk=footprint.followup.pk).update(updated_at=past)
    m.Invitation.objects.filter(pk=footprint.invitation.pk).update(updated_at=past)
    return footprint


@pytest.fixture
def retention_on(settings):
    settings.RETENTION_DAYS = DAYS


def test_off_by_default():
    assert django_settings.RETENTION_DAYS == 0


def test_the_task_is_scheduled_nightly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["personal-data-retention"]
    assert entry["task"] == personal_data_retention.name
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {15}


def test_off_the_task_changes_nothing(settings, old_and_new):
    settings.RETENTION_DAYS = 0

    personal_data_retention()

    assert m.Answer.objects.get(pk=old_and_new.comment.pk).text == COMMENT
    assert m.Ticket.objects.get(pk=old_and_new.ticket.pk).subject == SUBJECT


def test_old_free_text_is_blanked_and_its_score_kept(retention_on, old_and_new):
    personal_data_retention()

    assert m.Answer.objects.get(pk=old_and_new.comment.pk).text == ""
    assert m.Response.objects.get(pk=old_and_new.response.pk).nps_score == 2


def test_old_ticket_subject_is_blanked(retention_on, old_and_new):
    personal_data_retention()

    assert m.Ticket.objects.get(pk=old_and_new.ticket.pk).subject == ""


def test_old_event_payloads_are_redacted(retention_on, old_and_new):
    personal_data_retention()

    for pk in (old_and_new.applied_event.pk, old_and_new.stray_event.pk):
        assert not mentions_customer(m.TicketEvent.objects.get(pk=pk).payload)


def test_old_follow_up_notes_and_invitation_errors_are_removed(retention_on, old_and_new):
    personal_data_retention()

    assert m.FollowUp.objects.get(pk=old_and_new.followup.pk).notes == ""
    assert m.Invitation.objects.get(pk=old_and_new.invitation.pk).last_error == RETENTION_ERROR


def test_customers_keep_their_address(retention_on, old_and_new):
    personal_data_retention()

    assert m.Customer.objects.get(pk=old_and_new.customer.pk).email == old_and_new.customer.email


def test_newer_rows_are_kept(retention_on, footprint):
    personal_data_retention()

    assert m.Answer.objects.get(pk=footprint.comment.pk).text == COMMENT
    assert m.Ticket.objects.get(pk=footprint.ticket.pk).subject == SUBJECT
    assert m.FollowUp.objects.get(pk=footprint.followup.pk).notes == NOTES
    assert m.Invitation.objects.get(pk=footprint.invitation.pk).last_error == SMTP_ERROR
    assert mentions_customer(m.TicketEvent.objects.get(pk=footprint.applied_event.pk).payload)


def test_the_same_rows_go_once_the_clock_passes_the_limit(retention_on, footprint):
    with time_machine.travel(timezone.now() + timedelta(days=DAYS - 1)):
        personal_data_retention()
        assert m.Answer.objects.get(pk=footprint.comment.pk).text == COMMENT
    with time_machine.travel(timezone.now() + timedelta(days=DAYS + 2)):
        personal_data_retention()
    assert m.Answer.objects.get(pk=footprint.comment.pk).text == ""
    assert m.Ticket.objects.get(pk=footprint.ticket.pk).subject == ""
    assert not mentions_customer(m.TicketEvent.objects.get(pk=footprint.applied_event.pk).payload)


def test_a_second_run_changes_nothing_and_counts_stay(old_and_new):
    counts = {model: model.objects.count() for model in (m.Ticket, m.Response, m.Answer, m.TicketEvent)}

    first = personal_data_retention_apply(days=DAYS)
    second = personal_data_retention_apply(days=DAYS)

    assert (first.answers, first.subjects, first.payloads, first.notes, first.errors) == (1, 1, 2, 1, 1)
    assert (second.answers, second.subjects, second.payloads, second.notes, second.errors) == (0, 0, 0, 0, 0)
    assert counts == {model: model.objects.count() for model in counts}


def test_a_batch_smaller_than_the_rows_still_reaches_them_all(monkeypatch, old_and_new):
    monkeypatch.setattr("surveys.services.privacy.BATCH", 1)
    m.TicketEvent.objects.filter(pk=old_and_new.applied_event.pk).update(ticket=None)

    result = personal_data_retention_apply(days=DAYS)

    assert result.payloads == 2


def test_zero_days_is_refused():
    with pytest.raises(ValueError, match="at least one day"):
        personal_data_retention_apply(days=0)


def test_old_scanner_click_evidence_is_cleared(retention_on, old_and_new):
    from tests.factories import QuestionFactory

    question = QuestionFactory(questionnaire=old_and_new.invitation.campaign.questionnaire, kind=m.QuestionKind.NPS)
    evidence = {"user_agent": "Mozilla/5.0 (iPhone)", "network": "203.0.113.0/24"}
    now = timezone.now()
    old, new = (
        m.ScoreClick.objects.create(
            invitation=old_and_new.invitation, question=question, score=9, source="link", clicked_at=at,
            provisional_until=at, verdict="counted", **evidence,
        )
        for at in (now - timedelta(days=DAYS + 1), now)
    )

    personal_data_retention()

    old.refresh_from_db(), new.refresh_from_db()
    assert (old.user_agent, old.network, old.verdict, old.score) == ("", "", "counted", 9)
    assert (new.user_agent, new.network) == (evidence["user_agent"], evidence["network"])


def test_old_follow_up_emails_are_blanked(retention_on, footprint):
    def email(sent_at):
        return m.FollowUpEmail.objects.create(
            followup=footprint.followup, to_email=footprint.customer.email, subject=SUBJECT, body=NOTES, sent_at=sent_at
        )

    old, new = email(timezone.now() - timedelta(days=DAYS + 1)), email(timezone.now())

    personal_data_retention()

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.to_email, old.subject, old.body) == ("", "", "")
    assert (new.subject, new.body) == (SUBJECT, NOTES)
