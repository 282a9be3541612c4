import pytest
from django.test import Client

from tests import factories


@pytest.fixture(scope="session", autouse=True)
def _plain_http():
    """The suite talks plain HTTP (the test client and the live server for the browser).
    This runs before the live server builds its middleware, which reads these once."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    # The live server answers each request in a thread of its own: persistent connections
    # would outlive the test and keep PostgreSQL from dropping the test database.
    from django.db import connections

    for connection in connections.all():
        connection.settings_dict["CONN_MAX_AGE"] = 0
    # Serve static files from the source folders: the suite never runs collectstatic.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _fast_and_plain(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def school(db):
    return factories.SchoolFactory()


@pytest.fixture
def semester(school):
    return factories.SemesterFactory(school=school)


@pytest.fixture
def other_school(db):
    return factories.SchoolFactory(county=None)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, tmp_path_factory):
    """On SQLite the test database is a file, not shared-cache memory: the browser tests run
    the task worker in a thread beside the live server, and shared-cache memory databases
    fail at once with "table is locked" where a file waits its turn (busy timeout, WAL)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


@pytest.fixture
def unchecked_semester_dates(db):
    """Lets the test write semester dates outside the school year of their code, as rows
    saved before that rule (or by hand, or restored) hold them: the database's check is
    switched off for the test. SQLite ignores its check constraints meanwhile; PostgreSQL
    drops this one inside the test's transaction, whose rollback brings it back."""
    from django.db import connection

    from students.models import Semester

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        yield
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")
        return
    (constraint,) = (c for c in Semester._meta.constraints if c.name == "semester_in_school_year")
    with connection.cursor() as cursor:
        # The table cannot be altered while the transaction holds unchecked foreign keys.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            editor.remove_constraint(Semester, constraint)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
