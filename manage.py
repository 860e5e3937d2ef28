#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py in a checkout is a developer's tool: without DEBUG set it runs as development
    # (no SECRET_KEY needed), so `manage.py makemigrations --check` works on a fresh clone.
    # Production sets DEBUG=0 explicitly (docker-compose.yml, the Dockerfile) and serves through
    # config.wsgi, which keeps the settings' safe default: DEBUG off, SECRET_KEY required.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
