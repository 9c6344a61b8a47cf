"""The site's front door (/): each role lands on its own page. Thin view."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from ..selectors_home import home_url_for


@require_GET
@login_required
def home(request):
    url = home_url_for(request.user)
    if url is None:
        # Signed in but in no role: say so rather than bounce between pages they may not open.
        return render(request, "home/no_role.html", status=403)
    return redirect(url)
