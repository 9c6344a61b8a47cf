"""The Content-Security-Policy header: django-csp's middleware for pages; the machine endpoints'
answers take the same header, built once.

django-csp builds the header for every response, the policy and the report-only one, from the
settings, the view's decorators and the request's nonce. For a page that is needed: a page may
use a nonce or a decorator. An answer to a machine (the webhooks, the APIs) never does: it is
JSON, no view under those paths carries a CSP decorator, and no template there asks for a
nonce. Its header is the site's policy as configured, the very string django-csp would build,
so it is built when the middleware starts (with django-csp's own ``build_policy``), not once
per event: that build was about a tenth of the webhook's instructions (docs/benchmarks.md).
"""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CSPMiddleware
from csp.utils import build_policy

# The paths of answers read by programs: the ticket events webhook and its state, the metrics
# and erasure APIs and their schema, the helpdesks' hooks, the Delighted-compatible API.
MACHINE_PREFIXES = ("/api/", "/hooks/", "/delighted/")


class SiteCSPMiddleware:
    """django-csp's ``CSPMiddleware`` for pages; the site policy, built once, for the answers to
    machines (MACHINE_PREFIXES). In MIDDLEWARE where django-csp's own would be."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.pages = CSPMiddleware(get_response)
        built = ((HEADER, build_policy()), (HEADER_REPORT_ONLY, build_policy(report_only=True)))
        self.machine_headers = {header: policy for header, policy in built if policy}

    def __call__(self, request):
        if not request.path_info.startswith(MACHINE_PREFIXES):
            return self.pages(request)
        response = self.get_response(request)
        for header, policy in self.machine_headers.items():
            response.headers.setdefault(header, policy)
        return response
