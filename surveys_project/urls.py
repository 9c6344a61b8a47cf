from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # The product's own sign-in (agents are not staff, so the admin's would refuse them);
    # django-axes throttles it like the admin's (docs/follow-ups.md).
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Delighted's API for teams moving from it (docs/integrations.md, "Moving from Delighted").
    path("delighted/v1/", include("surveys.delighted.urls")),
    path("", include("surveys.urls")),
]
