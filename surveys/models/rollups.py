"""Report rollups: daily pre-aggregates of tickets, responses and invitations (issue 5).

Derived data only: ``manage.py reports_rebuild`` recreates every row from the source tables,
and the beat task ``reports_refresh_rollups`` keeps them current (surveys/reports/rollups_write.py).
Reads go through surveys/reports/counts.py and percentiles.py (surveys/reports/rollups_read.py
picks the path), which fall back to the source tables for what these rows cannot answer.
Dimension columns point at their rows without a database constraint: a rollup must never
block deleting an agent, a team or a campaign.

Each ``*Day`` table holds one row per site-local day and *grain*: the set of dimensions the
row is grouped by, as a bit mask (surveys/reports/grains.py). Columns outside the grain are
NULL there; a query always names its grain, so a NULL never stands for "all".
"""

from django.db import models

from .campaigns import Campaign
from .organisation import Agent, Team
from .tickets import Ticket


def _ref(model, **extra):
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        **extra,
    )


class _Derived(models.Model):
    class Meta:
        abstract = True

    def __str__(self) -> str:
        day = getattr(self, "day", None)
        return f"{self._meta.model_name} {day or self.pk}"


class _Dimensions(_Derived):
    """The report dimensions a rollup row or a fact is cut by (grains.py), NULL where none
    applies."""

    team = _ref(Team)
    agent = _ref(Agent)
    category = models.CharField(max_length=100, null=True)
    priority = models.CharField(max_length=10, null=True)
    channel = models.CharField(max_length=50, null=True)
    segment = models.CharField(max_length=50, null=True)

    class Meta:
        abstract = True


class _DayRollup(_Dimensions):
    """The columns a day rollup is cut by: its day, its grain (which of the dimensions it is
    grouped by, grains.py), and the dimensions, NULL outside the grain."""

    grain = models.PositiveSmallIntegerField()
    day = models.DateField()

    class Meta:
        abstract = True
        # Every read names its grain and a range of days.
        indexes = [models.Index(fields=["grain", "day"], name="%(class)s_grain_day_idx")]


class _CampaignDayRollup(_DayRollup):
    """A day rollup of records that belong to a campaign (responses and invitations)."""

    campaign = _ref(Campaign)

    class Meta(_DayRollup.Meta):
        abstract = True


class RollupState(_Derived):
    """The single row that says how far the rollups go and who is refreshing them.

    Days before ``cutoff`` are read from the rollups, which include every source change up
    to ``watermark`` (the time the last refresh started); later days are read live.
    ``claimed_until`` is a lease taken with a conditional UPDATE so two workers never refresh
    at once.
    """

    ID = 1  # the primary key of the one row

    built_at = models.DateTimeField(null=True, blank=True)
    watermark = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_seconds = models.FloatField(null=True, blank=True)
    last_days = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "rollup state"


class TicketFact(_Derived):
    """One narrow row per reported ticket (closed, or resolved and not closed).

    What the ticket counts as, computed once: its day (closure, else resolution, in the site
    time zone), dimensions, the docs/metrics.md flags, its two durations with their histogram
    bucket (exact medians start from the bucket), and its SLA overrun when it breached.
    """

    ticket = models.OneToOneField(
        Ticket,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    day = models.DateField()
    team = _ref(Team)
    agent = _ref(Agent)
    category = models.CharField(max_length=100)
    priority = models.CharField(max_length=10)
    channel = models.CharField(max_length=50)
    segment = models.CharField(max_length=50)
    complaint = models.BooleanField()
    resolved = models.BooleanField()
    fcr = models.BooleanField()
    repeat = models.BooleanField()
    sla_response_met = models.BooleanField(null=True)
    sla_resolution_met = models.BooleanField(null=True)
    first_response_s = models.PositiveIntegerField(null=True)
    resolution_s = models.PositiveIntegerField(null=True)
    frt_bucket = models.SmallIntegerField(null=True)
    res_bucket = models.SmallIntegerField(null=True)
    overrun_s = models.IntegerField(null=True)

    class Meta:
        indexes = [
            # Percentiles, breakdowns and filters the day rollups do not cover.
            models.Index(fields=["day"], name="ticketfact_day_idx"),
            # Median resolution time per agent, team, category, priority and channel (the
            # dashboard's breakdown tabs): each group's values in order, read up to the middle.
            models.Index(fields=["agent", "resolution_s", "day"], name="ticketfact_agent_res_idx"),
            models.Index(fields=["team", "resolution_s", "day"], name="ticketfact_team_res_idx"),
            models.Index(fields=["category", "resolution_s", "day"], name="ticketfact_category_res_idx"),
            models.Index(fields=["priority", "resolution_s", "day"], name="ticketfact_priority_res_idx"),
            models.Index(fields=["channel", "resolution_s", "day"], name="ticketfact_channel_res_idx"),
            # Exact medians and p90: the values of one histogram bucket, in order (index only).
            models.Index(fields=["frt_bucket", "first_response_s", "day"], name="ticketfact_frt_bucket_idx"),
            models.Index(fields=["res_bucket", "resolution_s", "day"], name="ticketfact_res_bucket_idx"),
            # The breach list, worst first.
            models.Index(
                fields=["-overrun_s", "ticket"],
                condition=models.Q(overrun_s__isnull=False),
                name="ticketfact_overrun_idx",
            ),
        ]


class TicketDay(_DayRollup):
    """Ticket counts per day and grain (team, agent, category, priority, channel, segment)."""

    tickets = models.PositiveIntegerField()
    complaints = models.PositiveIntegerField()
    resolved = models.PositiveIntegerField()
    fcr = models.PositiveIntegerField()
    repeat = models.PositiveIntegerField()
    sla_response_n = models.PositiveIntegerField()
    sla_response_met = models.PositiveIntegerField()
    sla_resolution_n = models.PositiveIntegerField()
    sla_resolution_met = models.PositiveIntegerField()
    frt_n = models.PositiveIntegerField()
    frt_sum = models.BigIntegerField()
    frt_min = models.PositiveIntegerField(null=True)
    frt_max = models.PositiveIntegerField(null=True)
    res_n = models.PositiveIntegerField()
    res_sum = models.BigIntegerField()
    res_min = models.PositiveIntegerField(null=True)
    res_max = models.PositiveIntegerField(null=True)
    # Sums of squares of both durations, for the Welch test of a change in their means.
    frt_sq = models.FloatField(default=0)
    res_sq = models.FloatField(default=0)
    # Response and resolution time distributions (the buckets of metrics.TIME_LIMITS).
    frt_h1 = models.PositiveIntegerField()
    frt_h4 = models.PositiveIntegerField()
    frt_d1 = models.PositiveIntegerField()
    frt_d3 = models.PositiveIntegerField()
    frt_more = models.PositiveIntegerField()
    res_h1 = models.PositiveIntegerField()
    res_h4 = models.PositiveIntegerField()
    res_d1 = models.PositiveIntegerField()
    res_d3 = models.PositiveIntegerField()
    res_more = models.PositiveIntegerField()


class TicketTimeDay(_Derived):
    """How many tickets of a day fall in each fine duration bucket (all tickets, no filter).

    The first step of an exact median or p90 over a long period: the bucket that holds the
    wanted rank, whose few rows are then read from TicketFact. Grain 0 is a day's counts;
    grains.MONTH a calendar month's (day: its first), summed from the day rows.
    """

    grain = models.PositiveSmallIntegerField(default=0)
    day = models.DateField()
    measure = models.PositiveSmallIntegerField()  # 0 first response, 1 resolution
    bucket = models.SmallIntegerField()
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["grain", "day", "measure"], name="tickettimeday_grain_day_idx")]


class ResponseDay(_CampaignDayRollup):
    """Survey counts per day (first recorded) and grain, with the ticket's driver factors."""

    res_band = models.CharField(max_length=8, null=True)
    reopened = models.BooleanField(null=True)
    fcr = models.BooleanField(null=True)
    sla = models.BooleanField(null=True)
    promoters = models.PositiveIntegerField()
    passives = models.PositiveIntegerField()
    detractors = models.PositiveIntegerField()
    csat_n = models.PositiveIntegerField()
    csat_satisfied = models.PositiveIntegerField()
    csat_sum = models.PositiveIntegerField()
    ces_n = models.PositiveIntegerField()
    ces_sum = models.PositiveIntegerField()
    ces_easy = models.PositiveIntegerField()
    ces_sq = models.FloatField(default=0)  # sum of squares, for the Welch test of a change
    responses = models.PositiveIntegerField()
    partial = models.PositiveIntegerField()


class InvitationDay(_CampaignDayRollup):
    """Invitations per day of first send and grain, and how many were answered (ever)."""

    sent = models.PositiveIntegerField()
    responses = models.PositiveIntegerField()


class NonResponseDay(_CampaignDayRollup):
    """The non-response check's counts per day of first send, grain and side (answered ever or
    not): InvitationFact rows summed, so a period's counts read days, not invitations."""

    answered = models.BooleanField()
    n = models.PositiveIntegerField()
    resolved = models.PositiveIntegerField()
    fcr = models.PositiveIntegerField()
    sla_n = models.PositiveIntegerField()
    sla_met = models.PositiveIntegerField()
    res_n = models.PositiveIntegerField()
    res_sum = models.BigIntegerField()
    res_sq = models.FloatField(default=0)
    # How many resolution times fall in each report time bucket (≤ 1 h … > 3 d): a side's
    # median walk starts at the bucket that holds its middle rank (reports/nonresponse.py).
    res_h1 = models.PositiveIntegerField(default=0)
    res_h4 = models.PositiveIntegerField(default=0)
    res_d1 = models.PositiveIntegerField(default=0)
    res_d3 = models.PositiveIntegerField(default=0)
    res_more = models.PositiveIntegerField(default=0)


class FunnelDay(_CampaignDayRollup):
    """The response funnel per day of the *ticket's* closure, grain and suppression reason."""

    reason = models.CharField(max_length=20)  # "" unless suppressed
    invited = models.PositiveIntegerField()
    sent = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()


class _CampaignFact(_Dimensions):
    """A fact row of a record that belongs to a campaign (an invitation, a response): its day
    and the report dimensions, NULL where the record's ticket has none."""

    day = models.DateField()
    campaign = _ref(Campaign)

    class Meta:
        abstract = True


class InvitationFact(_CampaignFact):
    """One narrow row per sent invitation: what the non-response check (reports/nonresponse.py)
    needs of it and of its ticket, so that check reads neither the ticket nor the response.

    Its day (first send, site time zone), the report dimensions (its campaign, its ticket's
    others), whether it was ever answered, its ticket's resolution, FCR and resolution SLA
    (NULL without a time or a target) and its ticket's resolution time with its fine bucket.
    """

    invitation = models.OneToOneField(
        "surveys.Invitation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    answered = models.BooleanField()
    resolved = models.BooleanField()
    fcr = models.BooleanField()
    sla_resolution_met = models.BooleanField(null=True)
    resolution_s = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="invitationfact_day_idx"),
            # The median resolution time of each side: its values in order, read up to the
            # middle rank (index only when no dimension filter).
            models.Index(fields=["answered", "resolution_s", "day"], name="invitationfact_side_res_idx"),
        ]


class FollowUpFact(_CampaignFact):
    """One narrow row per response in the follow-up cohort (a detractor or a complaint, not a
    re-survey's answer; reports/followups.py): its day (first recorded), the report dimensions
    and what its case says, so the follow-up figures read neither the case nor its re-survey.
    ``due_at`` stays a time: whether an open case is overdue depends on when one asks."""

    response = models.OneToOneField(
        "surveys.Response",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    wait_s = models.FloatField(null=True)  # opening to first contact; NULL without a contact
    open = models.BooleanField()  # a case that is not closed
    due_at = models.DateTimeField(null=True)
    change = models.IntegerField(null=True)  # re-survey NPS minus the first; NULL unless both
    recovered = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="followupfact_day_idx")]
