"""manage.py import_delighted: Delighted's CSV export becomes marked, countable history."""

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from surveys import models as m
from surveys.reports.aggregates import survey_counts
from surveys.reports.filters import filters_parse

EXPORT = Path(__file__).parent / "fixtures" / "delighted_export.csv"

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("import_delighted", *args, stdout=out)
    return out.getvalue()


def test_rows_become_marked_responses_that_count_in_the_period(nps_campaign):
    output = run(str(EXPORT), "--campaign", str(nps_campaign.pk))

    assert output.splitlines() == [
        "line 5: rejected: score: must be a whole number from 0 to 10 for nps",
        "line 6: rejected: created: not a time (Unix seconds or ISO 8601)",
        "line 7: rejected: email: not a valid email address",
        "imported 3, duplicate 0, rejected 3",
    ]
    responses = m.Response.objects.order_by("imported_id")
    assert [(r.imported_from, r.imported_id, r.nps_score) for r in responses] == [
        ("delighted", "101", 10),
        ("delighted", "102", 3),
        ("delighted", "103", 8),
    ]
    first = responses[0]
    assert first.started_at == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert responses[1].started_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert first.is_complete and first.alerted_at is not None
    assert first.answers.get(kind=m.QuestionKind.TEXT).text == "Very quick"
    assert first.answers.get(kind=m.QuestionKind.NPS).number == 10
    invitation = first.invitation
    assert (invitation.campaign, invitation.status, invitation.sent_at) == (
        nps_campaign,
        m.InvitationStatus.ANSWERED,
        None,
    )
    ticket = invitation.ticket
    assert (ticket.source, ticket.channel, ticket.agent.name, ticket.team.name) == (
        "delighted-import",
        "chat",
        "Ann",
        "Tier 1",
    )
    assert ticket.customer.email == "wang.fang@example.cn" and ticket.customer.name == "Wang Fang"

    march = filters_parse({"start": "2026-03-01", "end": "2026-03-08"}, today=datetime(2026, 3, 8).date())
    counts = survey_counts(march.responses())[None]
    assert (counts["promoters"], counts["passives"], counts["detractors"]) == (1, 1, 1)
    invitations_sent = march.invitations().count()
    assert invitations_sent == 0


def test_a_second_import_adds_nothing(nps_campaign):
    run(str(EXPORT), "--campaign", str(nps_campaign.pk))

    output = run(str(EXPORT), "--campaign", str(nps_campaign.pk))

    assert "line 2: duplicate: response 101 is imported already" in output
    assert output.splitlines()[-1] == "imported 0, duplicate 3, rejected 3"
    assert m.Response.objects.count() == 3 and m.Ticket.objects.count() == 3


def test_dry_run_writes_nothing(nps_campaign):
    output = run(str(EXPORT), "--campaign", str(nps_campaign.pk), "--dry-run")

    assert output.splitlines()[-1] == "dry run: imported 3, duplicate 0, rejected 3"
    assert not m.Response.objects.exists() and not m.Ticket.objects.exists()


def test_csat_rows_are_checked_against_the_csat_scale(nps_campaign, tmp_path):
    m.Question.objects.create(
        questionnaire=nps_campaign.questionnaire, key="csat", kind=m.QuestionKind.CSAT, text="?"
    )
    export = tmp_path / "csat.csv"
    export.write_text(
        "id,created_at,email,score,survey_type\n1,1772442000,a@example.org,5,csat\n2,1772442000,b@example.org,9,csat\n"
    )

    output = run(str(export), "--campaign", str(nps_campaign.pk))

    assert output.splitlines() == [
        "line 3: rejected: score: must be a whole number from 1 to 5 for csat",
        "imported 1, duplicate 0, rejected 1",
    ]
    assert m.Response.objects.get().csat_score == 5


def test_a_file_without_the_required_columns_is_refused(nps_campaign, tmp_path):
    export = tmp_path / "other.csv"
    export.write_text("when,who\n1,a@example.org\n")

    with pytest.raises(CommandError, match="missing column"):
        run(str(export), "--campaign", str(nps_campaign.pk))
    with pytest.raises(CommandError, match="No campaign"):
        run(str(EXPORT), "--campaign", "999999")
