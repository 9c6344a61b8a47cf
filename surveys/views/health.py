"""Health check for load balancers and uptime monitors."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..services.health import Status, health_status


@require_GET
@never_cache
def healthz(request):
    """Each part's state as JSON (docs/deploy.md): 200 while the database answers, even with
    the cache or the broker down ("degraded"); 503 only when the database does not."""
    status = health_status()
    return JsonResponse(status, status=503 if status["status"] == Status.DOWN else 200)
