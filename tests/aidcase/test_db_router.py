"""Dashboards and the county page read from a replica when DATABASE_REPLICA_URL names one
(aidcase.db_router); writes, the session, the user and every other page stay on the primary.

The replica of these tests is a second connection to the test database itself (what Django's
TEST MIRROR does), added to the connections for the test: the data is committed
(transaction=True) so that the second connection sees it, as a replica sees what the primary
committed. Which connection ran which query tells where the router sent it."""

import json
import re
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aidcase.db_router import REPLICA, ReplicaRouter, replica_reads
from pairing.models import Pairing
from students.models import Role, School
from tests import factories
from tests.conftest import login
from tests.helpers import manage_py

MIDDLEWARE = "aidcase.db_router.ReplicaReadsMiddleware"
# A query that only reads: a SELECT, or on PostgreSQL a server-side cursor over one (.iterator()),
# both allowed on a hot standby.
READ = re.compile(r"\s*(SELECT\b|DECLARE \S+ NO SCROLL CURSOR WITH HOLD FOR SELECT\b)", re.I)


def with_replica_middleware(middleware: list[str]) -> list[str]:
    """The middleware as settings.py makes it with DATABASE_REPLICA_URL set."""
    position = middleware.index("aidcase.submissions.SubmitOnceMiddleware")
    return [*middleware[:position], MIDDLEWARE, *middleware[position:]]


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The alias "replica" on the test database, as settings.py makes it for
    DATABASE_REPLICA_URL. Added before each test's database access is set up, which allows
    only the aliases that exist by then."""
    with django_db_blocker.unblock():
        primary = connections[DEFAULT_DB_ALIAS].settings_dict
    connections.settings[REPLICA] = {**primary, "TEST": {"MIRROR": DEFAULT_DB_ALIAS}}
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@contextmanager
def routed(settings) -> Iterator[BaseDatabaseWrapper]:
    """The router and the middleware, as settings.py adds them for DATABASE_REPLICA_URL."""
    settings.DATABASE_ROUTERS = ["aidcase.db_router.ReplicaRouter"]
    settings.MIDDLEWARE = with_replica_middleware(settings.MIDDLEWARE)
    yield connections[REPLICA]


@pytest.fixture
def replica(settings) -> Iterator[BaseDatabaseWrapper]:
    with routed(settings) as connection:
        yield connection


BOTH = [DEFAULT_DB_ALIAS, REPLICA]


@pytest.fixture
def county_school(db):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    for _ in range(3):
        factories.PairingFactory(school=school)
    return school


def queries_of(pages: list[tuple[Client, str]], *aliases: str) -> list[list[str]]:
    """The SQL each alias ran while the pages were fetched (each must answer 200)."""
    with ExitStack() as stack:
        contexts = [
            stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in aliases
        ]
        for client, path in pages:
            assert client.get(path).status_code == 200, path
    return [[query["sql"] for query in context.captured_queries] for context in contexts]


@pytest.mark.django_db(transaction=True, databases=BOTH)
@pytest.mark.parametrize("page", ["/dashboard/", "/county/"])
def test_the_dashboard_and_the_county_page_read_from_the_replica(county_school, settings, page):
    user = (
        factories.make_user(Role.PRINCIPAL, school=county_school)
        if page == "/dashboard/"
        else factories.make_user(Role.COUNTY, county=county_school.county)
    )
    client = login(user)
    client.get(page)  # warm: per-process caches (content types, rules) filled
    # the page without a replica: every query on the primary
    (alone,) = queries_of([(client, page)], DEFAULT_DB_ALIAS)
    with routed(settings):
        client = login(user)  # a client loads the middleware on its first request
        primary, replica = queries_of([(client, page)], DEFAULT_DB_ALIAS, REPLICA)
    # the same queries, moved: none added, none lost
    assert len(primary) + len(replica) == len(alone)
    # the page's data comes from the replica, and the replica is only ever read
    assert replica
    assert all(READ.match(sql) for sql in replica), replica
    # the session and the user come from the primary
    assert any('"django_session"' in sql for sql in primary)
    assert any('"auth_user"' in sql for sql in primary)
    # (joined into the page's queries the replica's users are fine: they are the same rows)
    assert not any('FROM "django_session"' in sql or 'FROM "auth_user"' in sql for sql in replica)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_other_pages_never_touch_the_replica(county_school, replica):
    pairing = Pairing.objects.filter(school=county_school).select_related("teacher").first()
    teacher = login(pairing.teacher)
    office = login(factories.make_user(Role.OFFICE, school=county_school))
    (used,) = queries_of(
        [(teacher, "/me/"), (office, "/students/"), (office, "/pairings/")],
        REPLICA,
    )
    assert used == []


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_post_to_a_marked_page_stays_on_the_primary(county_school, replica):
    principal = login(factories.make_user(Role.PRINCIPAL, school=county_school))
    with CaptureQueriesContext(replica) as on_replica:
        principal.post("/dashboard/", {})
    assert on_replica.captured_queries == []


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_in_a_marked_view_reads_may_go_to_the_replica_and_writes_never(county_school, replica):
    with replica_reads():
        # reads of the data go to the replica, those of users and sessions do not
        assert Pairing.objects.all().db == REPLICA
        assert User.objects.all().db == DEFAULT_DB_ALIAS
        school = School.objects.get(pk=county_school.pk)
        assert school._state.db == REPLICA
        # a write goes to the primary, also of an object read from the replica
        with CaptureQueriesContext(replica) as on_replica:
            school.name = "改名学校"
            school.save()
            created = factories.SemesterFactory(school=school, code="2030-2031-1")
        assert on_replica.captured_queries == []
        assert created._state.db == DEFAULT_DB_ALIAS
        assert School.objects.using(DEFAULT_DB_ALIAS).get(pk=school.pk).name == "改名学校"
        # a locking read is a write's read: the primary
        assert Pairing.objects.select_for_update().db == DEFAULT_DB_ALIAS
        # inside a transaction every read is the primary's: it must see what it wrote
        with transaction.atomic():
            assert Pairing.objects.all().db == DEFAULT_DB_ALIAS
    # outside a marked view nothing goes to the replica
    assert Pairing.objects.all().db == DEFAULT_DB_ALIAS


def test_the_router_sends_nothing_anywhere_without_a_replica(monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA)
    with replica_reads():
        assert ReplicaRouter().db_for_read(Pairing) is None
    assert ReplicaRouter().db_for_write(Pairing) == DEFAULT_DB_ALIAS
    assert ReplicaRouter().allow_migrate(REPLICA, "pairing") is False
    assert ReplicaRouter().allow_migrate(DEFAULT_DB_ALIAS, "pairing") is None
    # and the suite's own settings have no router at all (no DATABASE_REPLICA_URL)
    assert django_settings.DATABASE_ROUTERS == []
    assert router.db_for_read(Pairing) == DEFAULT_DB_ALIAS


def routing_settings(**env: str) -> dict:
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'aliases': sorted(settings.DATABASES), "
        "'replica': settings.DATABASES.get('replica', {}).get('NAME'), "
        "'mirror': settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
        "'routers': settings.DATABASE_ROUTERS, 'middleware': settings.MIDDLEWARE}))"
    )
    result = manage_py(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"DJANGO_SECRET_KEY": secrets.token_urlsafe(48), **env},
        cleared=("DJANGO_", "AIDCASE_", "DATABASE_"),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_a_replica_url_nothing_changes():
    found = routing_settings()
    assert (found["aliases"], found["routers"]) == (["default"], [])
    assert MIDDLEWARE not in found["middleware"]


def test_a_replica_url_adds_the_alias_the_router_and_the_middleware():
    found = routing_settings(
        DATABASE_URL="postgres://aidcase@db.internal:5432/aidcase",
        DATABASE_REPLICA_URL="postgres://aidcase@replica.internal:5432/aidcase",
    )
    assert found["aliases"] == ["default", "replica"]
    assert (found["replica"], found["mirror"]) == ("aidcase", "default")
    assert found["routers"] == ["aidcase.db_router.ReplicaRouter"]
    middleware = found["middleware"]
    # after the user is known, before the form keys are claimed
    assert (
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
        < middleware.index("aidcase.middleware.SessionTimeoutMiddleware")
        < middleware.index(MIDDLEWARE)
        < middleware.index("aidcase.submissions.SubmitOnceMiddleware")
    )
