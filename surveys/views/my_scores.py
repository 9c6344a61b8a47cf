"""An agent's own scorecard at /my-scores/ (surveys/reports/my_scores.py). Thin view."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Agent
from ..replica import reads_reports
from ..reports.access import VIEW_OWN
from ..reports.dashboard import default_bucket
from ..reports.figures import BUCKETS
from ..reports.filters import FilterError, FilterForm, filters_parse
from ..reports.my_scores import my_scores_data
from ..reports.snapshot import report_transaction


@require_GET
@login_required
@reads_reports
def my_scores(request):
    # Only a login linked to an agent has scores of its own; managers use the dashboard.
    agent = Agent.objects.select_related("team").filter(user=request.user).first()
    if agent is None or not request.user.has_perm(VIEW_OWN):
        raise PermissionDenied
    try:
        filters = filters_parse(request.GET, agent_id=agent.pk)
    except FilterError as exc:
        return render(request, "reports/bad_filters.html", {"errors": exc.errors}, status=400)
    bucket = request.GET.get("bucket") if request.GET.get("bucket") in BUCKETS else default_bucket(filters)
    with report_transaction():
        data = my_scores_data(filters, agent=agent, bucket=bucket)
    context = {
        "agent": agent,
        "filters": filters,
        "form": FilterForm(initial=filters.as_params()),
        "agent_scope": agent.pk,
        "bucket": bucket,
        "data": data,
    }
    return render(request, "reports/my_scores.html", context)
