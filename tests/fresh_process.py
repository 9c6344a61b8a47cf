"""Code run in a fresh Python process on the project's settings, built from a given environment:
for tests of what the settings make of environment variables (no connection is opened unless
the code opens one)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_python(code: str, *, drop=(), **env) -> subprocess.CompletedProcess:
    """Run ``code`` with this environment minus ``drop``, plus DEBUG=1 (unless ``env`` says
    otherwise), the product's settings module and ``env``."""
    unset = {*drop, "DJANGO_ALLOW_ASYNC_UNSAFE"}  # pytest's, for its own process only
    base = {k: v for k, v in os.environ.items() if k not in unset}
    full = {**base, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "surveys_project.settings", **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120, check=False
    )


def fresh_settings(expression: str, *, drop=(), **env):
    """The JSON value of ``expression`` over ``s`` (the settings) in a fresh process."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({expression}))"
    )
    result = fresh_python(code, drop=drop, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
