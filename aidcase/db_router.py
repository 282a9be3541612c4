"""Dashboards and the county page may read from a replica of the database (DESIGN "Scale").

With `DATABASE_REPLICA_URL` set, settings add the database alias "replica", this router and
ReplicaReadsMiddleware. The middleware marks a GET of one of REPLICA_VIEWS; while that view
runs, the router sends its reads there. Everything else, every write, and every read inside a
transaction of the primary stays on "default": a replica lags by a moment, and a page that
saves something must read what it just saved. The session, the user and the login records are
always read from the primary: a login, a logout or a deactivated account just written may not
have reached the replica yet.

Without a replica nothing is marked and the router answers nothing (Django's default).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
# URL names of the read-only pages that aggregate a school or the county.
REPLICA_VIEWS = frozenset({"dashboard", "county", "county_school"})
# Apps whose rows are read from the primary even in a marked view: sessions, users and their
# lockouts, the app's own bookkeeping (form keys, access log) and the task queue.
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "auth", "axes", "contenttypes", "admin", "aidcase", "django_tasks_database"}
)

_replica_reads: ContextVar[bool] = ContextVar("aidcase_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (when there is one)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """Reads of a marked view go to the replica; writes, migrations and everything else to
    the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not _replica_reads.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return None
        if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read there is the same row.
        same = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in same and obj2._state.db in same:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica is a copy kept by PostgreSQL's replication, never migrated itself.
        return False if db == REPLICA else None


class ReplicaReadsMiddleware:
    """Marks a GET or HEAD of one of REPLICA_VIEWS for replica reads, for as long as the view
    and its template run. The session and the user are read from the primary all the same
    (PRIMARY_ONLY_APPS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            token: Token[bool] | None = request.__dict__.pop("_replica_token", None)
            if token is not None:
                _replica_reads.reset(token)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        match = request.resolver_match
        if (
            request.method not in {"GET", "HEAD"}
            or match is None
            or match.url_name not in REPLICA_VIEWS
            or not replica_configured()
        ):
            return
        request._replica_token = _replica_reads.set(True)  # type: ignore[attr-defined]
