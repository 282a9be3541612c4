"""Benchmarks run by `make bench`, never by `make test`.

Each figure is measured against a floor measured in the same run (the least work that could
do the same job), so that the ratios hold on any machine; STYLE: tests assert query counts,
benchmarks measure time.
"""

import os
from pathlib import Path


def setup_django(database: Path, *, migrate: bool) -> None:
    """Django with the project's settings on a throwaway SQLite database, never the
    developer's own: DATABASE_URL is set before the settings are read."""
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidcase.settings")
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
