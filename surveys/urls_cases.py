"""URLs of the follow-up case pages (see surveys/urls.py; docs/follow-ups.md)."""

from django.urls import path

from .views import cases

urlpatterns = [
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case_assign"),
    path("cases/<int:pk>/notes/", cases.case_notes, name="case_notes"),
    path("cases/<int:pk>/contact/", cases.case_contact, name="case_contact"),
    path("cases/<int:pk>/email/", cases.case_email, name="case_email"),
    path("cases/<int:pk>/close/", cases.case_close, name="case_close"),
    path("cases/<int:pk>/reopen/", cases.case_reopen, name="case_reopen"),
]
