from django.urls import path

from .views import health

app_name = "surveys"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
]
