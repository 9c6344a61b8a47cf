"""Response shapes of the metrics API, for the OpenAPI schema (docs/api.md).

The views return plain dictionaries built by the report selectors; these serializers only
describe them. Every value is nullable: a figure with n = 0 is null, never 0.
"""

from rest_framework import serializers

from ..reports.catalogue import METRICS
from ..reports.figures import BUCKETS, DIMENSIONS


def _num(**kw):
    return serializers.FloatField(allow_null=True, **kw)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive: the first day not included.")


class NpsSerializer(serializers.Serializer):
    value = _num(help_text="−100…100")
    n = serializers.IntegerField(help_text="Answers whose score was first recorded in the period")
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    moe = _num(help_text="95 % margin of error, NPS points")


class CsatSerializer(serializers.Serializer):
    value = _num(help_text="% of answers 4 or 5")
    n = serializers.IntegerField(help_text="Answers first recorded in the period")
    mean = _num()
    low = _num(help_text="Wilson 95 % interval, %")
    high = _num()


class CesSerializer(serializers.Serializer):
    mean = _num(help_text="1–7, 7 = very easy")
    n = serializers.IntegerField()


class ResponseRateSerializer(serializers.Serializer):
    value = _num(help_text="%")
    sent = serializers.IntegerField(help_text="Invitations first sent in the period")
    responses = serializers.IntegerField(help_text="Of those, answered at any time")


class ComplaintRateSerializer(serializers.Serializer):
    value = _num(help_text="%")
    complaints = serializers.IntegerField()
    tickets = serializers.IntegerField(help_text="Tickets closed (else resolved) in the period")


class DurationSerializer(serializers.Serializer):
    mean_s = _num()
    median_s = _num()
    p90_s = _num()
    min_s = _num()
    max_s = _num()
    n = serializers.IntegerField()


class RateSerializer(serializers.Serializer):
    value = _num(help_text="%")
    n = serializers.IntegerField()


class SlaPartSerializer(serializers.Serializer):
    value = _num(help_text="%")
    met = serializers.IntegerField()
    n = serializers.IntegerField()


class SlaSerializer(serializers.Serializer):
    response = SlaPartSerializer()
    resolution = SlaPartSerializer()


class TargetComparisonSerializer(serializers.Serializer):
    value = serializers.FloatField()
    comparison = serializers.ChoiceField(choices=["lt", "lte", "gt", "gte"])
    met = serializers.BooleanField(allow_null=True, help_text="null below the minimum sample")
    significant = serializers.BooleanField(
        allow_null=True, help_text="The figure's 95 % interval excludes the target; null for medians"
    )


class MetricComparisonSerializer(serializers.Serializer):
    value = _num(help_text="This period (the tile's figure: medians for the two times)")
    n = serializers.IntegerField(help_text="Records this period")
    previous = _num(help_text="The previous period of the same length")
    previous_n = serializers.IntegerField(help_text="Records in the previous period")
    change = _num(help_text="value − previous; null when either n < min_sample (too few to compare)")
    significant = serializers.BooleanField(
        allow_null=True,
        help_text="|difference| > 1.96 × its standard error (docs/metrics.md); null when too few",
    )
    too_few_to_compare = serializers.BooleanField()
    target = TargetComparisonSerializer(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    previous_period = PeriodSerializer()
    min_sample = serializers.IntegerField()
    metrics = serializers.DictField(child=MetricComparisonSerializer(), help_text="By metric key")


class NonResponseTimeSerializer(serializers.Serializer):
    median_s = _num()
    mean_s = _num()
    n = serializers.IntegerField()


class NonResponseSideSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Invitations")
    resolution_time = NonResponseTimeSerializer()
    fcr = RateSerializer()
    sla_resolution = SlaPartSerializer()


class NonResponseDifferenceSerializer(serializers.Serializer):
    difference = _num(help_text="answered − not answered (medians for the time); null when too few")
    significant = serializers.BooleanField(allow_null=True)
    too_few_to_compare = serializers.BooleanField()


class NonResponseWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. fast_tickets")
    message = serializers.CharField()


class NonResponseSerializer(serializers.Serializer):
    basis = serializers.CharField(help_text="Which invitations are compared")
    min_sample = serializers.IntegerField()
    answered = NonResponseSideSerializer()
    not_answered = NonResponseSideSerializer()
    differences = serializers.DictField(child=NonResponseDifferenceSerializer())
    warnings = NonResponseWarningSerializer(many=True)
class SetAsideSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="One-click scores set aside as likely mail-scanner clicks; in no figure")


class ActionScopeSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    category = serializers.CharField(help_text="Empty: every category")
    channel = serializers.CharField(help_text="Empty: every channel")


class ActionTargetSerializer(serializers.Serializer):
    value = serializers.FloatField(help_text="In the metric's units")
    comparison = serializers.ChoiceField(choices=["lt", "lte", "gt", "gte"])
    reached = serializers.BooleanField(
        allow_null=True, help_text="The after figure meets the target; null below the minimum sample"
    )


class EffectSideSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive")
    value = _num(help_text="The metric (medians for the two times); null when n = 0")
    n = serializers.IntegerField()


class EffectSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="L: the length of each side, in days")
    before = EffectSideSerializer()
    after = EffectSideSerializer()
    change = _num(help_text="after − before; null when either n < min_sample (too few to compare)")
    significant = serializers.BooleanField(allow_null=True, help_text="|difference| > 1.96 × its standard error")
    too_few_to_compare = serializers.BooleanField()


class ImprovementActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    goal = serializers.CharField()
    measures = serializers.CharField()
    metric = serializers.ChoiceField(choices=list(METRICS), allow_null=True)
    scope = ActionScopeSerializer()
    owner = serializers.CharField(allow_null=True, help_text="Username")
    started_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=["planned", "in_progress", "done", "cancelled"])
    overdue = serializers.BooleanField(help_text="Planned or in progress after its due day")
    target = ActionTargetSerializer(allow_null=True)
    effect = EffectSerializer(
        allow_null=True, help_text="null without a metric, before a whole day has passed, or for agents"
    )


class SummarySerializer(serializers.Serializer):
    period = PeriodSerializer()
    nps = NpsSerializer()
    csat = CsatSerializer()
    ces = CesSerializer()
    response_rate = ResponseRateSerializer()
    complaint_rate = ComplaintRateSerializer()
    first_response_time = DurationSerializer()
    resolution_time = DurationSerializer()
    fcr = RateSerializer()
    repeat_contact_rate = RateSerializer()
    sla = SlaSerializer()
    comparison = ComparisonSerializer()
    non_response = NonResponseSerializer()
    set_aside_scanner = SetAsideSerializer()
    improvement_actions = ImprovementActionSerializer(many=True)


class PointSerializer(serializers.Serializer):
    bucket = serializers.DateField(help_text="First day of the bucket")
    value = _num()
    n = serializers.IntegerField()


class TrendSerializer(serializers.Serializer):
    period = PeriodSerializer()
    metric = serializers.ChoiceField(choices=list(METRICS))
    bucket = serializers.ChoiceField(choices=BUCKETS)
    min_sample = serializers.IntegerField()
    points = PointSerializer(many=True)


class RowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_null=True)
    value = _num()
    n = serializers.IntegerField()


class BreakdownSerializer(serializers.Serializer):
    period = PeriodSerializer()
    metric = serializers.ChoiceField(choices=list(METRICS))
    by = serializers.ChoiceField(choices=list(DIMENSIONS))
    min_sample = serializers.IntegerField()
    rows = RowSerializer(many=True)
