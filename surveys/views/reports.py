"""Managers' reports: the dashboard, the printable summary and the exports. Thin views."""

from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import exports
from ..models import ExportFormat, ExportKind
from ..replica import reads_reports
from ..reports.access import can_export, report_agent_scope
from ..reports.dashboard import BREAKDOWN_TABS, dashboard_data, default_bucket
from ..reports.figures import BUCKETS
from ..reports.filters import FilterError, FilterForm, filters_as_typed, filters_parse, site_today
from ..reports.options import filter_options, options_keeping_chosen
from ..reports.presets import preset_links
from ..reports.sections import SCORE_BANDS, verbatim_params
from ..reports.set_aside import scanner_clicks_set_aside
from ..reports.snapshot import report_transaction
from ..reports.summary import summary_report_data


def _bad_filters(request, exc: FilterError, template: str = "reports/bad_filters.html"):
    return render(request, template, {"errors": exc.errors}, status=400)


def _bad_filters_form(request, exc: FilterError, agent_id):
    """The filter form again, each refusal beside its field (400): a manager fixes it in place."""
    values, field_errors = filters_as_typed(request.GET, exc.errors, agent_id=agent_id)
    context = {
        "errors": exc.errors,
        "field_errors": field_errors,
        "other_errors": {k: v for k, v in field_errors.items() if k not in FilterForm.base_fields},
        "filters": values,
        "form": FilterForm(),
        "agent_scope": agent_id,
        "options": options_keeping_chosen(filter_options(agent_id=agent_id), SimpleNamespace(**values)),
    }
    return render(request, "reports/bad_filters.html", context, status=400)


def _base_context(request, filters, agent_id):
    return {
        "filters": filters,
        "form": FilterForm(initial=filters.as_params()),
        "agent_scope": agent_id,
        "can_export": can_export(request.user),
        "presets": preset_links(filters, site_today()),
    }


@require_GET
@login_required
@reads_reports
def dashboard(request):
    agent_id = report_agent_scope(request.user)
    try:
        filters = filters_parse(request.GET, agent_id=agent_id)
        q, page = verbatim_params(request.GET)
    except FilterError as exc:
        return _bad_filters_form(request, exc, agent_id)
    bucket = request.GET.get("bucket") if request.GET.get("bucket") in BUCKETS else default_bucket(filters)
    by = request.GET.get("by") if request.GET.get("by") in BREAKDOWN_TABS else "agent"
    band = request.GET.get("band") if request.GET.get("band") in SCORE_BANDS else ""
    with report_transaction(read_live_once=("survey", "ticket")):
        data = dashboard_data(filters, bucket=bucket, by=by, band=band, agent_id=agent_id, q=q, page=page)
        set_aside = scanner_clicks_set_aside(filters)
    context = _base_context(request, filters, agent_id) | {
        "bucket": bucket,
        "buckets": BUCKETS,
        "by": by,
        "tabs": BREAKDOWN_TABS,
        "band": band,
        "bands": [(key, label) for key, (label, _q) in SCORE_BANDS.items()],
        "data": data,
        "set_aside": set_aside,
    }
    return render(request, "reports/dashboard.html", context)


@require_GET
@login_required
@reads_reports
def summary_report(request):
    agent_id = report_agent_scope(request.user)
    try:
        filters = filters_parse(request.GET, agent_id=agent_id)
    except FilterError as exc:
        return _bad_filters_form(request, exc, agent_id)
    with report_transaction(read_live_once=("survey",)):
        data = summary_report_data(filters, agent_id=agent_id)
    context = _base_context(request, filters, agent_id) | {
        "data": data,
        "options": options_keeping_chosen(filter_options(agent_id=agent_id), filters),
    }
    return render(request, "reports/summary.html", context)


@require_GET
@login_required
@reads_reports
def export(request, kind: str, fmt: str):
    if kind not in ExportKind.values or fmt not in ExportFormat.values:
        raise Http404
    agent_id = report_agent_scope(request.user)
    if not can_export(request.user):
        raise PermissionDenied
    try:
        filters = filters_parse(request.GET, agent_id=agent_id)
        bom = _bom_choice(request.GET.get("bom", "1"))
    except FilterError as exc:
        return _bad_filters(request, exc)
    return exports.export_response(user=request.user, kind=kind, fmt=fmt, filters=filters, bom=bom)


def _bom_choice(value: str) -> bool:
    # Excel needs the byte order mark to read UTF-8; some tools (older pandas, shell scripts)
    # read it as part of the first column's name, hence ?bom=0.
    if value not in ("0", "1"):
        raise FilterError({"bom": [_("Use bom=1 (Excel, the default) or bom=0 (no byte order mark).")]})
    return value == "1"
