"""URLs of this area (see surveys/urls.py): the customer's survey page, and the test survey
and unsubscribe page behind the admin's "Send me a test" email, and the brand's logo."""

from django.urls import path, re_path

from .views import brand, public, sample_survey

urlpatterns = [
    path("s/test/<str:signed>/", sample_survey.sample_survey, name="sample_survey"),
    path("u/test/<str:signed>/", sample_survey.sample_unsubscribe, name="sample_unsubscribe"),
    path("s/<str:token>/", public.survey, name="survey"),
    re_path(r"^brand/logo/(?P<digest>[0-9a-f]{16})\.(?P<ext>png|jpg)$", brand.logo, name="brand_logo"),
]
