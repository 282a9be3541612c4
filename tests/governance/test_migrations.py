"""Erasure moved from aidcase to governance (F8) in the migration state only: a database made
before the move keeps its erasures in the same table, read now through governance.models."""

import pytest
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

from governance.models import Erasure

BEFORE = [("aidcase", "0005_access_log_id_export"), ("governance", None)]
ALIAS = "before_the_move"


@pytest.fixture
def old_database(settings, tmp_path):
    """A database of its own (SQLite, in a file), with the migrations on: the suite runs with
    --no-migrations, and the test database's tables are made from today's models."""
    settings.MIGRATION_MODULES = {}
    connection = DatabaseWrapper(
        {
            **connections["default"].settings_dict,
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(tmp_path / "before.sqlite3"),
            "OPTIONS": {},
        },
        alias=ALIAS,
    )
    connections[ALIAS] = connection
    yield connection
    connection.close()
    del connections[ALIAS]


@pytest.mark.django_db(transaction=True)
def test_erasures_made_before_the_move_are_kept(old_database):
    # Given a database migrated to just before Erasure moved, with an erasure in aidcase's table
    executor = MigrationExecutor(old_database)
    executor.migrate(BEFORE)
    with old_database.cursor() as cursor:
        cursor.execute(
            "INSERT INTO aidcase_erasure (at, user_label, reference, reason, counts)"
            " VALUES ('2026-11-20 08:00:00', '资助办', 'E-20261120-0001', '监护人书面申请', %s)",
            ['{"logs": 3}'],
        )

    # When it is migrated forward
    executor = MigrationExecutor(old_database)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # Then the erasure is there, through the model's new home
    erasure = Erasure.objects.using(ALIAS).get()
    assert (erasure.reference, erasure.user_label, erasure.counts) == (
        "E-20261120-0001",
        "资助办",
        {"logs": 3},
    )
    assert erasure.reason == "监护人书面申请"
    assert ("governance", "0001_initial") in executor.recorder.applied_migrations()
    assert ("aidcase", "0006_erasure_to_governance") in executor.recorder.applied_migrations()
