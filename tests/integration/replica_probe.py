"""Run by tests/integration/test_reports_replica.py in a process of its own, with the product's
settings and ``REPORTS_DATABASE_URL`` pointing at the replica: reads the dashboard, the metrics
API and the responses export as the manager, and prints what they showed as JSON."""

import json
import os
import re
import sys


def main() -> None:
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "surveys_project.settings"
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    start, end = sys.argv[1], sys.argv[2]
    client = Client()
    client.force_login(get_user_model().objects.get(username="manager"))
    query = f"start={start}&end={end}"
    with CaptureQueriesContext(connections["reports"]) as on_replica:
        page = client.get(f"/reports/?{query}")
        api = client.get(f"/api/metrics/summary/?{query}")
        export = client.get(f"/reports/export/responses.csv?{query}&bom=0")
        export_body = b"".join(export.streaming_content).decode()
    html = page.content.decode()
    tile = re.search(r'data-metric="nps".*?n = (\d+)', html, re.S)
    lag = re.search(r'data-replica-lag="(\d*)"', html)
    print(
        json.dumps(
            {
                "status": [page.status_code, api.status_code, export.status_code],
                "tile_n": int(tile.group(1)) if tile else None,
                "api_n": api.json()["nps"]["n"],
                "export_rows": len(export_body.strip().splitlines()) - 1,
                "lag": lag.group(1) if lag else None,
                "replica_queries": len(on_replica.captured_queries),
            }
        )
    )


if __name__ == "__main__":
    main()
