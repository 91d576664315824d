#!/usr/bin/env python
"""Django's command-line utility for salesflow."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings.base")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from salesflow.core.audit.context import command_context

    # What a command writes is recorded in the audit history as done by that command.
    with command_context(sys.argv):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
