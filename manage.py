#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    from surveys_project.settings_select import settings_module

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())  # HELPDESK=1: with django-helpdesk
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
