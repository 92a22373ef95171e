"""The `qpa` command: the project's manage.py, installed as a console script."""

from __future__ import annotations

import os
import sys


def main() -> None:
    # Production settings unless told otherwise: the secure choice is the default.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
