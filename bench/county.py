"""County scale on PostgreSQL (F10): a throwaway database seeded by `seed_demo`, served by
gunicorn, and the pages a county runs on, each timed against a floor measured in the same run.

The database: the bench connects to a maintenance database (`--postgres URL`; else
DATABASE_URL when it names PostgreSQL; else postgres://127.0.0.1:5432/postgres as the current
user), creates its own database under a unique name, migrates it, seeds it and drops it at the
end, also on an error, Ctrl-C or SIGTERM (only SIGKILL leaves one behind: they are named
aidcase_bench_<pid>_<hex>, and the bench names the ones it finds).

The figures: each page is fetched over HTTP from gunicorn on the loopback interface, as the
user it is for, after WARMUP runs; the figure is the median of RUNS. The floor is
`/accounts/alive/` as the same kind of logged-in user: the whole middleware stack and the
session, no template and no data (it answers 204). Query counts are taken in process with
Django's test client and CaptureQueriesContext (a second request, so that it is warm), since
gunicorn's queries cannot be seen from here.

Goals (gated): `/county/` <= 300 ms at 150 schools and <= 1 s at 600 schools; the school
dashboard <= 100 ms at a school of 2,000 students. At a smaller size the same bound is checked:
a page missing it there would miss it at full size.
"""

import contextlib
import io
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import psycopg
import requests
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_MAINTENANCE = "postgres://127.0.0.1:5432/postgres"
PREFIX = "aidcase_bench_"

RUNS = 15
WARMUP = 3
SEED = 2026  # the same data in every run

# gunicorn: one worker process per core, so that two requests run truly in parallel; a few
# threads in each, so that a worker waiting on PostgreSQL (or on a slow client) serves another
# request meanwhile. More threads would not add CPU, only contention for the GIL and more
# database connections (workers × threads, each kept open by CONN_MAX_AGE).
WORKERS = 2
THREADS = 4

COUNTY_MS = 300.0  # /county/ at 150 schools
WIDE_COUNTY_MS = 1000.0  # /county/ at 600 schools
DASHBOARD_MS = 100.0  # the school dashboard at a school of 2,000 students
GOAL_SCHOOLS = 150
WIDE_SCHOOLS = 600
BIG_STUDENTS = 2000

FLOOR_URL = "/accounts/alive/"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchError(Exception):
    """The bench could not measure (as opposed to a goal missed)."""


# The database ----------------------------------------------------------------------------


def maintenance_url(option: str | None) -> str:
    if option:
        return option
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith(("postgres://", "postgresql://")):
        return current
    return DEFAULT_MAINTENANCE


def _connect(url: str) -> psycopg.Connection[Any]:
    # libpq reads postgres:// and postgresql:// URLs itself.
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def unreachable(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None when it can."""
    try:
        with _connect(url) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None


def where(url: str) -> str:
    """The server of a URL, without its user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def _with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def leftovers(url: str) -> list[str]:
    """Bench databases of earlier runs that were killed before they could drop them: their
    process (named in the database's name) is gone. Another bench running now keeps its own."""
    with _connect(url) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname",
            (PREFIX.replace("_", r"\_") + "%",),
        ).fetchall()
    return [name for (name,) in rows if not _running(name)]


def _running(name: str) -> bool:
    pid = name.removeprefix(PREFIX).split("_")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop(maintenance: str, name: str) -> None:
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()
    with _connect(maintenance) as connection:
        # FORCE: gunicorn's or locust's last connections may still be closing.
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextlib.contextmanager
def throwaway_database(maintenance: str) -> Iterator[tuple[str, str]]:
    """(name, URL) of a new empty database, dropped when the block ends however it ends."""
    name = f"{PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with _connect(maintenance) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise BenchError(f"cannot create the bench database: {error}") from None
    try:
        yield name, _with_database(maintenance, name)
    finally:
        # A second Ctrl-C while dropping must not leave the database behind.
        with _signals_ignored():
            _drop(maintenance, name)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    kept = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


def exit_on_sigterm() -> None:
    """SIGTERM (and SIGHUP) unwind like Ctrl-C, so that every `finally` runs: the server is
    stopped and the database dropped."""

    def stop(number: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + number)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


def bench_environment(url: str) -> dict[str, str]:
    """What the bench's Django and its gunicorn run with: the bench database, production
    settings (no debug), plain HTTP on the loopback interface as `make run` serves."""
    return {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "aidcase.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
    }


def setup_django(url: str) -> None:
    """Django on the bench database, migrated, with the static files' manifest that the
    templates need when debug is off (collectstatic, as `make run` does)."""
    os.environ.update(bench_environment(url))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    if _static_files_changed():
        call_command("collectstatic", verbosity=0, interactive=False)


def _static_files_changed() -> bool:
    """Whether a static file is newer than the manifest collectstatic wrote (it takes ~10 s
    even when nothing changed: it compresses every file again)."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    collected = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list([]):
            if storage.get_modified_time(path).timestamp() > collected:
                return True
    return False


@dataclass
class Seeded:
    schools: int
    students: int
    pairings: int
    logs: int
    seconds: float

    def describe(self, students_per_school: int) -> str:
        return (
            f"seed_demo --schools {self.schools} --students-per-school {students_per_school}:"
            f" {self.students:,} students, {self.pairings:,} pairings, {self.logs:,} logs"
            f" (seeded in {self.seconds:.0f} s)"
        )


def seed(*, schools: int, students_per_school: int, password: str) -> Seeded:
    """seed_demo into the bench database, its account table kept out of the output."""
    from django.core.management import call_command
    from django.db import connection

    from pairing.models import Pairing
    from students.models import Student
    from visits.models import ActivityLog

    started = time.perf_counter()
    call_command(
        "seed_demo",
        schools=schools,
        students_per_school=students_per_school,
        seed=SEED,
        password=password,
        stdout=io.StringIO(),
    )
    # The tables as autovacuum leaves them soon after a bulk load: the planner's statistics
    # (without them the first minutes of a fresh county get poor plans) and the visibility
    # map (index-only scans), done now rather than by autovacuum in the middle of the timings.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return Seeded(
        schools=schools,
        students=Student.objects.count(),
        pairings=Pairing.objects.count(),
        logs=ActivityLog.objects.count(),
        seconds=time.perf_counter() - started,
    )


# The server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gunicorn(url: str, folder: Path) -> Iterator[str]:
    """gunicorn on a free loopback port with the bench database; yields its base URL."""
    from django.db import connections

    connections.close_all()  # nothing of this process's connections is shared with it
    port = _free_port()
    log = folder / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "aidcase.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        f"--threads={THREADS}",
        "--worker-class=gthread",
        "--timeout=120",
    ]
    with log.open("wb") as output:
        # Its own session: a Ctrl-C reaches the bench, which stops the server in order.
        process = subprocess.Popen(  # noqa: S603 — this venv's gunicorn, fixed arguments
            command,
            cwd=BASE_DIR,
            env={**os.environ, **bench_environment(url)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, base, log)
        yield base
    except BenchError as error:
        raise BenchError(f"{error}{server_errors(log)}") from None
    else:
        # Errors the figures did not stop at (the load test counts them): the server's side.
        print(server_errors(log).lstrip("\n"), end="")
    finally:
        with _signals_ignored():
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_errors(log: Path) -> str:
    """How many errors the server logged, and the last one's traceback ("" for none)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    starts = [n for n, line in enumerate(lines) if line.startswith("Traceback")]
    if not starts:
        return ""
    last = lines[max(0, starts[-1] - 1) : starts[-1] + 60]
    shown = "\n".join(f"    {line}" for line in last)
    return f"\n  gunicorn logged {len(starts)} error(s); the last one:\n{shown}\n"


def _wait_until_serving(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise BenchError(f"gunicorn exited ({process.returncode}):\n{tail}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/accounts/login/", timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise BenchError("gunicorn did not answer within 60 s")


def login(base: str, username: str, password: str) -> requests.Session:
    """A real login through the login form (CSRF token, django-axes, the session)."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = _TOKEN.search(page.text)
    if token is None:
        raise BenchError("the login page has no CSRF token")
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise BenchError(f"a demo login was refused (HTTP {answer.status_code})")
    return session


# The figures -----------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    url: str
    username: str
    who: str  # for the table: which user, without their name
    goal_ms: float | None = None
    goal_note: str = ""
    expect: int = 200


@dataclass
class PageFigure:
    page: Page
    times: list[float] = field(default_factory=list)  # seconds
    queries: int = 0
    floor_ms: float | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def ratio(self) -> float | None:
        return self.median_ms / self.floor_ms if self.floor_ms else None

    @property
    def verdict(self) -> str:
        if self.floor_ms is None:
            return "(the floor)"
        if self.page.goal_ms is None:
            return "(shown, not gated)"
        ok = "ok" if self.median_ms <= self.page.goal_ms else "MISSED"
        return f"{ok}: <= {self.page.goal_ms:,.0f} ms {self.page.goal_note}".rstrip()

    @property
    def failures(self) -> list[str]:
        if self.floor_ms is None or self.page.goal_ms is None:
            return []
        if self.median_ms <= self.page.goal_ms:
            return []
        return [
            f"{self.page.name}: median {self.median_ms:,.0f} ms"
            f" (goal <= {self.page.goal_ms:,.0f} ms {self.page.goal_note})".rstrip()
        ]


def time_page(session: requests.Session, base: str, page: Page) -> list[float]:
    times = []
    for run in range(WARMUP + RUNS):
        started = time.perf_counter()
        answer = session.get(f"{base}{page.url}", allow_redirects=False, timeout=120)
        _body = answer.content
        elapsed = time.perf_counter() - started
        if answer.status_code != page.expect:
            raise BenchError(f"{page.url} answered HTTP {answer.status_code}, not {page.expect}")
        if run >= WARMUP:
            times.append(elapsed)
    return times


def count_queries(page: Page) -> int:
    """The page's queries in process, on its second request (the first fills caches)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=page.username))
    client.get(page.url)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(page.url)
    if answer.status_code != page.expect:
        raise BenchError(f"{page.url} answered HTTP {answer.status_code} in process")
    return len(queries)


def measure(base: str, password: str, pages: list[Page]) -> list[PageFigure]:
    """The floor (as the first page's user) then every page, each timed over HTTP, with its
    query count. One login per user."""
    sessions: dict[str, requests.Session] = {}
    for page in pages:
        if page.username not in sessions:
            sessions[page.username] = login(base, page.username, password)
    first = pages[0]
    floor = Page(f"floor: {FLOOR_URL}", FLOOR_URL, first.username, first.who, expect=204)
    figures = [PageFigure(floor, time_page(sessions[first.username], base, floor))]
    figures[0].queries = count_queries(floor)
    for page in pages:
        figure = PageFigure(
            page, time_page(sessions[page.username], base, page), floor_ms=figures[0].median_ms
        )
        figure.queries = count_queries(page)
        figures.append(figure)
    return figures


def table(figures: list[PageFigure]) -> list[str]:
    lines = [
        f"{'page':<24} {'as':<30} {'median ms':>9} {'x floor':>7} {'queries':>7}  goals",
    ]
    for figure in figures:
        ratio = "1.00" if figure.ratio is None else f"{figure.ratio:.1f}"
        lines.append(
            f"{figure.page.name:<24} {figure.page.who:<30} {figure.median_ms:>9.1f}"
            f" {ratio:>7} {figure.queries:>7}  {figure.verdict}"
        )
    return lines


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"machine load (1/5/15 min): {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
    )


# The users the figures are taken as ------------------------------------------------------


def largest_school() -> tuple[Any, int]:
    from django.db.models import Count

    from students.models import School

    school = School.objects.annotate(size=Count("students")).order_by("-size", "code").first()
    if school is None:
        raise BenchError("the bench database has no school")
    return school, school.size


def username_of(role: str, school: Any | None = None) -> str:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(profile__role=role, is_active=True)
    if school is not None:
        users = users.filter(profile__school=school)
    username = users.order_by("username").values_list("username", flat=True).first()
    if username is None:
        raise BenchError(f"no {role} account in the bench database")
    return username


def busiest_teachers(school: Any | None = None) -> list[tuple[str, int]]:
    """(username, active pairings) of teachers with pairings today, the most first."""
    from django.db.models import Count

    from pairing.models import Pairing
    from students.models import Role
    from students.selectors import pairing_active_on, today

    pairings = Pairing.objects.filter(pairing_active_on(today()))
    pairings = pairings.filter(teacher__profile__role=Role.TEACHER, teacher__is_active=True)
    if school is not None:
        pairings = pairings.filter(school=school)
    rows = (
        pairings.values("teacher__username")
        .annotate(n=Count("id"))
        .order_by("-n", "teacher__username")
    )
    return [(row["teacher__username"], row["n"]) for row in rows]


def county_pages(*, county_ms: float | None, note: str) -> list[Page]:
    """/county/ as the county viewer, the largest school's dashboard as its principal, and
    /me/ as that school's teacher with the most pairings today."""
    from students.models import Role

    school, size = largest_school()
    teachers = busiest_teachers(school)
    if not teachers:
        raise BenchError("no teacher of the largest school has a pairing today")
    teacher, pairings = teachers[0]
    return [
        Page(
            "/county/", "/county/", username_of(Role.COUNTY), "the county viewer", county_ms, note
        ),
        Page(
            "/dashboard/",
            "/dashboard/",
            username_of(Role.PRINCIPAL, school),
            f"the principal ({size:,} students)",
            DASHBOARD_MS,
            f"at {BIG_STUDENTS:,} students",
        ),
        Page("/me/", "/me/", teacher, f"a teacher ({pairings} pairings)"),
    ]
