"""A database made before the apps were split into floors (28e946f) migrates forward with every
row kept: the moved models keep their tables, and nothing else is lost on the way.

tests/data/db-28e946f.sqlite3.gz was made at 28e946f by `migrate` and
`seed_demo --schools 1 --students-per-school 40 --seed 3`, plus an erasure record and an
access-log entry, then VACUUMed and gzipped."""

import gzip
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OLD_DATABASE = ROOT / "tests" / "data" / "db-28e946f.sqlite3.gz"
# Bookkeeping that migrating adds to: the applied migrations, and a content type and its
# permissions for each new model.
GROWS = {"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence"}


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {
            table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608 — names from sqlite_master
            for table in tables
        }


def manage(*args: str, database: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AIDCASE_"))}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    result = subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_database_from_before_the_move_migrates_with_every_row(tmp_path):
    # Given the database as 28e946f left it
    database = tmp_path / "old.sqlite3"
    with gzip.open(OLD_DATABASE) as packed, database.open("wb") as unpacked:
        shutil.copyfileobj(packed, unpacked)
    before = row_counts(database)
    assert before["students_student"] == 40
    assert before["aidcase_erasure"] == before["aidcase_accesslog"] == 1
    # When today's code migrates it
    manage("migrate", "--noinput", "-v0", database=database)
    # Then every table of before is there with all its rows
    after = row_counts(database)
    lost = {
        table: (count, after.get(table))
        for table, count in before.items()
        if table not in GROWS and after.get(table) != count
    }
    assert lost == {}
    # and the moved models read their rows where they live now
    counts = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.apps import apps; "
        "print(apps.get_model('governance', 'Erasure').objects.count(), "
        "apps.get_model('aidcase', 'AccessLog').objects.count(), "
        "apps.get_model('students', 'Student').objects.count())",
        database=database,
    )
    assert counts.split() == ["1", "1", "40"]
