"""Response shapes of the metrics API, for the OpenAPI schema (docs/api.md).

The views return plain dictionaries built by the report selectors; these serializers only
describe them. Every value is nullable: a figure with n = 0 is null, never 0.
"""

from rest_framework import serializers

from ..reports.catalogue import METRICS
from ..reports.selectors import BUCKETS, DIMENSIONS


def _num(**kw):
    return serializers.FloatField(allow_null=True, **kw)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive: the first day not included.")


class NpsSerializer(serializers.Serializer):
    value = _num(help_text="−100…100")
    n = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    moe = _num(help_text="95 % margin of error, NPS points")


class CsatSerializer(serializers.Serializer):
    value = _num(help_text="% of answers 4 or 5")
    n = serializers.IntegerField()
    mean = _num()
    low = _num(help_text="Wilson 95 % interval, %")
    high = _num()


class CesSerializer(serializers.Serializer):
    mean = _num(help_text="1–7, 7 = very easy")
    n = serializers.IntegerField()


class ResponseRateSerializer(serializers.Serializer):
    value = _num(help_text="%")
    sent = serializers.IntegerField()
    responses = serializers.IntegerField()


class ComplaintRateSerializer(serializers.Serializer):
    value = _num(help_text="%")
    complaints = serializers.IntegerField()
    tickets = serializers.IntegerField()


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


class SetAsideSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="One-click scores set aside as likely mail-scanner clicks; in no figure")


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
    set_aside_scanner = SetAsideSerializer()


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
