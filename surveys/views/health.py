"""Health check for load balancers and uptime monitors."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..services.health import health_status


@require_GET
@never_cache
def healthz(request):
    status = health_status()
    return JsonResponse(status, status=200 if status["database"] else 503)
