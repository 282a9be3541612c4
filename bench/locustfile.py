"""The simulated users of the load test, run by bench/load.py (never on its own: it needs the
bench's sessions). Environment: BENCH_SESSIONS, a JSON file {role: [Cookie header, …]}, one
session per simulated user, made by real logins; BENCH_THINK "min,max" seconds between pages;
BENCH_MIX "teachers,principals,county viewers".

Every page is asked without following redirects: a redirect where a page was expected (to
the login page, say) is an error, as is any status but the one the page answers with.
"""

import itertools
import json
import os
import random
import re
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, constant, task

_sessions_file = os.environ.get("BENCH_SESSIONS", "")
SESSIONS: dict[str, list[str]] = (
    json.loads(Path(_sessions_file).read_text()) if _sessions_file else {}
)
_low, _high = (float(v) for v in os.environ.get("BENCH_THINK", "5,15").split(","))
_MIX = [int(v) for v in os.environ.get("BENCH_MIX", "160,30,10").split(",")]
_TAKEN: dict[str, Iterator[int]] = {}

# One round in this many of a teacher's ends with a log saved.
SAVE_SHARE = 0.5
NOTES = (
    "电话沟通近况，学习和生活情况正常，提醒按时完成作业。",
    "课后谈心，了解本周学习情况，鼓励多参加集体活动。",
    "与监护人通话，反映孩子在校表现，约定下周再联系。",
)
STUDENT = re.compile(r'href="/students/(\d+)/"')
LOG_FORM = re.compile(r'href="/logs/new/\?pairing=(\d+)')
COUNTY_SCHOOL = re.compile(r'href="(/county/schools/\d+/[^"]*)"')


def take_session(role: str) -> str:
    """The next simulated user's own session (they are shared out in turn)."""
    sessions = SESSIONS.get(role)
    if not sessions:
        raise RuntimeError(f"no {role} session in BENCH_SESSIONS")
    counter = _TAKEN.setdefault(role, itertools.count())
    return sessions[next(counter) % len(sessions)]


class FormFields(HTMLParser):
    """The fields a browser would send from the POST form whose class has `css_class`, as
    they are filled in when the page is opened."""

    def __init__(self, css_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.css_class = css_class
        self.fields: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = self.css_class in a.get("class", "").split()
        if not self._inside:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if self._select not in self.fields or "selected" in a:
                self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(page: str, css_class: str) -> dict[str, str]:
    parser = FormFields(css_class)
    parser.feed(page)
    return parser.fields


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """The body a browser sends for a form with enctype multipart/form-data."""
    boundary = f"----bench{secrets.token_hex(12)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return "".join([*parts, f"--{boundary}--\r\n"]).encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


class SchoolUser(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(_low, _high)

    def on_start(self) -> None:
        # The session travels in a Cookie header of our own: no cookie jar beside it.
        self.client.client.cookiejar = None
        self.cookie = take_session(self.role)

    def page(self, path: str, name: str, *, expect: int = 200) -> str | None:
        with self.client.get(
            path,
            name=name,
            headers={"Cookie": self.cookie},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            return self._check(response, expect)

    def send(self, path: str, fields: dict[str, str], name: str) -> str | None:
        """POSTs a form as a browser does; the address it redirects to, None when refused."""
        body, content_type = multipart(fields)
        with self.client.post(
            path,
            data=body,  # type: ignore[arg-type]
            name=name,
            headers={"Cookie": self.cookie, "Content-Type": content_type},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if self._check(response, 302) is None:
                return None
            return str(response.headers.get("Location", ""))

    @staticmethod
    def _check(response: Any, expect: int) -> str | None:
        if response.status_code == expect:
            response.success()
            return str(response.text or "")
        where = response.headers.get("Location") if response.headers else None
        if response.status_code == 200 and expect == 302:
            response.failure("the form was refused (HTTP 200 instead of a redirect)")
        else:
            response.failure(
                f"HTTP {response.status_code}" + (f" to {where.split('?')[0]}" if where else "")
            )
        return None


class Teacher(SchoolUser):
    """Opens their home, then a student's page; one round in two, writes a log."""

    role = "teacher"
    fixed_count = _MIX[0]

    @task
    def round(self) -> None:
        home = self.page("/me/", "/me/")
        if home is None:
            return
        students = STUDENT.findall(home)
        pairings = LOG_FORM.findall(home)
        if students:
            self.wait()
            self.page(f"/students/{random.choice(students)}/", "/students/[id]/")  # noqa: S311
        if pairings and random.random() < SAVE_SHARE:  # noqa: S311
            self.wait()
            pairing = random.choice(pairings)  # noqa: S311
            form = self.page(
                f"/logs/new/?pairing={pairing}&kind=talk&next=/me/", "/logs/new/ (form)"
            )
            if form is None:
                return
            fields = form_fields(form, "log-form")
            fields["content"] = random.choice(NOTES)  # noqa: S311
            self.wait()  # typing it
            if self.send("/logs/new/", fields, "/logs/new/ (save)") is not None:
                self.page("/me/", "/me/")  # where the save leads


class Principal(SchoolUser):
    """A principal or an aid office: the school dashboard."""

    role = "principal"
    fixed_count = _MIX[1]

    @task
    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")


class CountyViewer(SchoolUser):
    """The county bureau: the roll-up, then one school's summary."""

    role = "county"
    fixed_count = _MIX[2]

    @task
    def county(self) -> None:
        page = self.page("/county/", "/county/")
        schools = COUNTY_SCHOOL.findall(page or "")
        if schools:
            self.wait()
            self.page(random.choice(schools), "/county/schools/[id]/")  # noqa: S311


# Throughput: one page each, asked again as soon as it is answered.


class FloorCapacity(SchoolUser):
    role = "teacher"
    wait_time = constant(0)

    @task
    def alive(self) -> None:
        self.page("/accounts/alive/", "/accounts/alive/", expect=204)


class MeCapacity(SchoolUser):
    role = "teacher"
    wait_time = constant(0)

    @task
    def me(self) -> None:
        self.page("/me/", "/me/")


class DashboardCapacity(SchoolUser):
    role = "principal"
    wait_time = constant(0)

    @task
    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")
