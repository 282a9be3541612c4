"""The embedded default (SQLite) under ordinary concurrency, as a web server meets it: a live
gunicorn with several workers and threads, teachers logging in through the login form and
saving logs at the same moment, and a login while a large import reads its file.

The tests build a SQLite file of their own (migrate and a setup script, in subprocesses), so
they run the same whether the suite's DATABASE_URL is SQLite or PostgreSQL."""

import csv
import datetime as dt
import html.parser
import http.cookiejar
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from students.fields import generate_key
from tests.helpers import stop

ROOT = Path(__file__).resolve().parents[2]
TEACHERS = 20
ROUNDS = 5
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
# 4 workers x 5 threads: all twenty requests of a round are in Django at once.
WORKERS, THREADS = 4, 5
IMPORT_ROWS = 3000
WAIT = 60  # seconds: only ever reached when something is broken

SETUP = """
import json
from students.models import Role
from tests import factories
school = factories.SchoolFactory(code="LIVE")
semester = factories.SemesterFactory(school=school)
pairings = {}
for n in range(%(teachers)d):
    teacher = factories.make_user(Role.TEACHER, school=school, user__username=f"live{n:02d}")
    pairings[teacher.username] = factories.PairingFactory(school=school, teacher=teacher).pk
print(json.dumps({"school": school.code, "semester": semester.code, "pairings": pairings}))
"""

# The import command, paused halfway through reading its file: it tells the test it is
# reading (a marker file) and goes on once the test says so (another one).
PAUSED_IMPORT = """
import os, sys, time
from pathlib import Path
from django.core.management import call_command
import imports.services

reading, go = Path(os.environ["IMPORT_READING"]), Path(os.environ["IMPORT_GO"])
read_table = imports.services.read_table

def paused(rows):
    for index, row in enumerate(rows):
        if index == %(half)d:
            reading.touch()
            deadline = time.monotonic() + %(wait)d
            while not go.exists():
                if time.monotonic() > deadline:
                    sys.exit("the test never said go")
                time.sleep(0.02)
        yield row

def read_paused(file, columns, *, name=""):
    table = read_table(file, columns, name=name)
    for part in table.parts:
        part.rows = paused(part.rows)
    return table

imports.services.read_table = read_paused
call_command(
    "import_xlsx", "students", os.environ["IMPORT_FILE"], "--school", os.environ["IMPORT_SCHOOL"],
    "--semester", os.environ["IMPORT_SEMESTER"],
)
"""


@dataclass
class Server:
    url: str
    database: Path
    school: str
    semester: str
    pairings: dict[str, int]
    env: dict[str, str]
    log: Path

    def errors(self) -> list[str]:
        """The exceptions the server logged, each once."""
        return sorted(set(re.findall(r"^\w+(?:\.\w+)*Error: .*$", self.log.read_text(), re.M)))


def environment(database: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "AIDCASE_")) and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="tests.live_sqlite_settings",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        AIDCASE_ID_KEY=generate_key(),
        DJANGO_MEDIA_ROOT=str(database.parent / "media"),
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=WAIT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("live-sqlite")
    database = folder / "aidcase.sqlite3"
    env = environment(database)
    manage(env, "migrate", "--noinput", "-v0")
    made = json.loads(
        manage(env, "shell", "--no-imports", "-c", SETUP % {"teachers": TEACHERS}).splitlines()[-1]
    )
    log = (folder / "gunicorn.log").open("w+")
    process = subprocess.Popen(  # noqa: S603 — gunicorn from our own environment
        [
            *(sys.executable, "-m", "gunicorn", "aidcase.wsgi:application"),
            *("--bind", "127.0.0.1:0", "--workers", str(WORKERS), "--threads", str(THREADS)),
            *("--timeout", str(WAIT), "--graceful-timeout", "5"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = _listening(process, Path(log.name))
        yield Server(
            url, database, made["school"], made["semester"], made["pairings"], env, Path(log.name)
        )
    finally:
        stop(process)
        log.close()


def _listening(process: subprocess.Popen[bytes], log: Path) -> str:
    """The server's address once it answers (gunicorn chose a free port)."""
    deadline = time.monotonic() + WAIT
    url = ""
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            url = found[1]
            try:
                with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return url
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer at {url or 'any address'}: {log.read_text()}")


# A browser, as far as these pages need one


@dataclass
class Response:
    status: int
    location: str
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Keeps its cookies, posts forms as a browser does (the CSRF token from the page, an
    Origin header) and reports each response as it came, redirects included."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def get(self, path: str) -> Response:
        return self._open(urllib.request.Request(self.url + path))  # noqa: S310 — our server

    def post(self, path: str, fields: dict[str, Any]) -> Response:
        body = urllib.parse.urlencode({k: str(v) for k, v in fields.items()}).encode()
        request = urllib.request.Request(self.url + path, data=body, method="POST")  # noqa: S310
        request.add_header("Origin", self.url)
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        return self._open(request)

    def submit(self, path: str, *, holding: str, typed: dict[str, Any]) -> Response:
        """Opens the page, fills in the form that holds the field `holding` and posts it."""
        page = self.get(path)
        assert page.status == 200, (page.status, page.body[:500])
        return self.post(page_path(path), {**form_fields(page.body, holding=holding), **typed})

    def _open(self, request: urllib.request.Request) -> Response:
        try:
            with self.opener.open(request, timeout=WAIT) as response:
                return Response(response.status, "", response.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers.get("Location", ""), error.read().decode())

    def log_in(self, username: str) -> Response:
        return self.submit(
            "/accounts/login/",
            holding="password",
            typed={"username": username, "password": PASSWORD},
        )


def page_path(path: str) -> str:
    return urllib.parse.urlsplit(path).path


class _Forms(html.parser.HTMLParser):
    """The fields of each form of a page with the values a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None
        self._chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        if not self.forms:
            return
        fields = self.forms[-1]
        if tag == "option" and self._select:
            # The selected option, or the first one when none is.
            if "selected" in a or not self._chosen:
                fields[self._select] = a.get("value", "")
                self._chosen = self._chosen or "selected" in a
            return
        name = a.get("name")
        if not name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            fields[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select, self._chosen = name, False
            fields[name] = ""
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1][self._textarea] += data


def form_fields(page: str, *, holding: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(page)
    for fields in parser.forms:
        if holding in fields:
            return fields
    raise AssertionError(f"no form with a field {holding!r} on the page")


def logged_in(browser: Browser, username: str) -> None:
    response = browser.log_in(username)
    assert response.status == 302, (response.status, response.body[:500])
    assert "/accounts/login/" not in response.location


def talk(browser: Browser, pairing: int, content: str) -> dict[str, Any]:
    """The log form of a pairing as a teacher fills it in, ready to post."""
    page = browser.get(f"/logs/new/?pairing={pairing}&kind=talk&next=/me/")
    assert page.status == 200, (page.status, page.body[:500])
    return {
        **form_fields(page.body, holding="content"),
        "kind": "talk",
        "channel": "in_person",
        "content": content,
    }


def stored(database: Path, contents: list[str]) -> dict[str, int]:
    """How many logs the database file holds with each content."""
    with closing(sqlite3.connect(database)) as connection:
        counts = dict(
            connection.execute(
                "SELECT content, COUNT(*) FROM visits_activitylog GROUP BY content"
            ).fetchall()
        )
    return {content: counts.get(content, 0) for content in contents}


def test_twenty_teachers_save_logs_at_the_same_moment_without_an_error(server):
    # given twenty teachers, each logged in through the login form in a browser of their own
    teachers = sorted(server.pairings)
    browsers = {username: Browser(server.url) for username in teachers}
    with ThreadPoolExecutor(TEACHERS) as pool:
        list(pool.map(lambda u: logged_in(browsers[u], u), teachers))

    # when, five times over, all twenty press save at the same moment
    outcomes: list[tuple[int, str]] = []
    contents: list[str] = []
    seconds: list[float] = []
    for round_ in range(1, ROUNDS + 1):
        barrier = threading.Barrier(TEACHERS)

        def save(username: str, round_: int = round_, barrier: threading.Barrier = barrier) -> Any:
            browser = browsers[username]
            fields = talk(browser, server.pairings[username], f"第{round_}轮 {username} 的谈心")
            barrier.wait(timeout=WAIT)
            started = time.monotonic()
            response = browser.post("/logs/new/", fields)
            return (response.status, response.location), time.monotonic() - started

        with ThreadPoolExecutor(TEACHERS) as pool:
            results = list(pool.map(save, teachers))
        outcomes += [outcome for outcome, _seconds in results]
        seconds.append(max(s for _outcome, s in results))
        contents += [f"第{round_}轮 {username} 的谈心" for username in teachers]

    # then every request was answered as the browser expects, and every log is stored once
    errors = [outcome for outcome in outcomes if outcome != (302, "/me/")]
    # The figures README quotes (seen with pytest -s).
    print(
        f"\n{len(outcomes)} saves in {ROUNDS} rounds of {TEACHERS}: {len(errors)} errors; "
        f"slowest round {max(seconds):.2f} s, {TEACHERS / max(seconds):.0f} saves/s at least"
    )
    assert errors == [], f"{len(errors)} of {len(outcomes)} saves failed: {server.errors()}"
    assert stored(server.database, contents) == dict.fromkeys(contents, 1)


def roster(path: Path, rows: int) -> None:
    """A students roster of `rows` new students, a tenth of them left-behind."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["学籍号", "姓名", "性别", "出生日期", "入学年份", "班级", "类别"])
        for n in range(rows):
            writer.writerow(
                [
                    f"L{n:08d}",
                    f"学生{n}",
                    "男" if n % 2 else "女",
                    dt.date(2012, 1, 1) + dt.timedelta(days=n % 365),
                    2024,
                    f"七年级({n % 10 + 1})班",
                    "留守" if n % 10 == 0 else "",
                ]
            )


def test_a_teacher_logs_in_and_saves_while_a_large_import_reads_its_file(server, tmp_path):
    # given the office's import of a large roster, paused halfway through reading the file
    file = tmp_path / "roster.csv"
    roster(file, IMPORT_ROWS)
    reading, go = tmp_path / "reading", tmp_path / "go"
    env = {
        **server.env,
        "IMPORT_FILE": str(file),
        "IMPORT_SCHOOL": server.school,
        "IMPORT_SEMESTER": server.semester,
        "IMPORT_READING": str(reading),
        "IMPORT_GO": str(go),
    }
    code = PAUSED_IMPORT % {"half": IMPORT_ROWS // 2, "wait": WAIT}
    importing = subprocess.Popen(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT
        while not reading.exists():
            assert importing.poll() is None, importing.communicate()
            assert time.monotonic() < deadline, "the import never started reading"
            time.sleep(0.02)

        # when a teacher logs in and saves a log while the import is still reading
        username = sorted(server.pairings)[0]
        browser = Browser(server.url)
        login = browser.log_in(username)
        assert (login.status, "/accounts/login/" in login.location) == (302, False), login.body[
            :500
        ]
        saved = browser.post(
            "/logs/new/", talk(browser, server.pairings[username], "导入期间的谈心")
        )
        assert (saved.status, saved.location) == (302, "/me/"), saved.body[:500]
        # then both were answered while the import was still waiting in its read phase
        assert importing.poll() is None
    finally:
        go.touch()
        out, err = importing.communicate(timeout=WAIT)

    # and the import succeeded afterwards, with the teacher's log kept
    assert importing.returncode == 0, out + err
    assert "导入完成" in out
    assert stored(server.database, ["导入期间的谈心"]) == {"导入期间的谈心": 1}
    with closing(sqlite3.connect(server.database)) as connection:
        (students,) = connection.execute(
            "SELECT COUNT(*) FROM students_student WHERE student_no LIKE 'L%'"
        ).fetchone()
    assert students == IMPORT_ROWS
