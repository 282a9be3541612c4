"""The route fuzzer: every route of the URL conf, present and future, is requested by every
role (anonymous too) with junk in each parameter its view reads and in each part of its path,
with GET and POST. No request may end in a 500 or an exception; a failure names the route,
the role, the method, the parameters given junk and the junk, grouped by exception and line.

Which parameters a view reads is found by running it, never listed: each route is first
requested as each role with its ordinary values (the objects the access matrix names for it,
tests/aidcase/test_access_matrix.py; for a POST, also what the GET page's own form would send
with its required fields filled in) through a request whose GET and POST note every key
asked of them (get, getlist, [] and in), who asked (a form, the view, a middleware) and
every string a value read is compared with: `action == "holiday"` opens the holiday form's
branch, which is then explored too. A new parameter, form field or branch is fuzzed as soon
as a view reads it.

Then each role that reaches the view's body sends junk in all the parameters of a branch at
once (a form's fields are parsed side by side, and rules across fields, such as a start
before an end, need both), and again with only the fields that took it, the others valid, so
that junk a field accepts (a far date) reaches the form's save. Each parameter read outside a
form also gets every junk value alone, once for the line that reads it (a helper or a
middleware shared by many views is tried once). The first role to reach a route sends every
junk value, the others some; a role refused first (403, 405, the login page) sends junk once:
the refusal comes before any parsing. Each request runs in a savepoint rolled back after it.

On 28e946f it failed 11 routes: GET /assessment/?semester=² and /calendar/?semester=²,
POST …/questionnaires/issue/ with pairing=², the four ledgers with start=end=9999-12-31 (as
teacher, office and principal), /audit/?before=0001-01-01, 9999-12-31 and
9999-12-31T23:59:59-01:00, /reminders/<pk>/read/ and /logs/new/ with a `next` that is no
path, and /accounts/login/?next=/accounts/login/ when logged in; on PostgreSQL also a NUL in
/county/, /county/schools/<pk>/, /pairings/?q= and the export's ?semester=, and a 10,000
character username at the login.
"""

import datetime as dt
import logging
import re
import sys
import traceback
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.db.models import Model
from django.forms import BaseForm, BaseFormSet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import include, path
from django.utils.functional import cached_property

from tests.access import World, body_of, routes
from tests.aidcase.test_access_matrix import MATRIX, ROLES, TARGETS

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
FUZZ_ROLES = (ANONYMOUS, *ROLES)
METHODS = ("get", "post")

HUGE = "9" * 25
# What every parameter is tried with: digits that str.isdigit() accepts and int() refuses
# (²) or reads (٣, １２), numbers no column holds, the ends of the calendar (as dates, and
# as a time whose UTC falls past year 9999), nothing, too much, a NUL byte (PostgreSQL
# refuses it in text) and a key given twice.
JUNK: tuple[str | list[str], ...] = (
    "²",
    "٣",
    "１２",
    HUGE,
    "-" + HUGE,
    "-1",
    "0",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59-01:00",
    "NaN",
    "",
    "x" * 10_000,
    "\x00",
    ["1", "²"],
)
# What a second role reaching the same view sends: the first tried everything.
SOME = ("²", HUGE, "0001-01-01", "9999-12-31", "9999-12-31T23:59:59-01:00", "\x00", ["1", "²"])
# In place of each part of a path: beyond a 64-bit integer, other scripts' digits, too long.
PATH_JUNK = ("0", "9223372036854775808", HUGE, "²", "٣", "x" * 10_000)

# Sent with every POST so that `request.POST or None` binds the view's form.
PROBE_KEY = "fuzz-probe"
# The value every parameter read so far is given while the branches are discovered.
PROBE = "fuzz"
# Branches (a parameter set to a value it was compared with) explored per route and role.
MAX_BRANCHES = 8

ROOT = Path(__file__).resolve().parents[2]
# The project's reader of parameters: a parameter read through it is the caller's.
PARAMS = str(ROOT / "aidcase" / "params.py")

Param = tuple[str, str]  # ("GET" or "POST", key)
Value = str | list[str]
Context = tuple[tuple[Param, str], ...]  # a branch: parameters set to values compared with


# ---------------------------------------------------------------------------------------
# Discovery: a request that notes what is read from it


@dataclass
class Noted:
    """What one request's GET and POST were asked: each parameter with the line of the
    project that first read it (form fields: "form"), and the strings each value read was
    compared with."""

    params: dict[Param, str] = field(default_factory=dict)
    compared: dict[Param, list[str]] = field(default_factory=lambda: defaultdict(list))

    def read(self, param: Param) -> None:
        if param not in self.params:
            self.params[param] = _reader()

    def comparing(self, param: Param, other: str) -> None:
        if other not in self.compared[param]:
            self.compared[param].append(other)


FORM = "form"
_noting: list[Noted] = []  # the request being noted, while discovering


def _reader() -> str:
    """Who reads the parameter: "form" for a form's field, else "view" or "middleware"
    with the first line of the project's own code on the stack (Django's, aidcase.params'
    and the noting classes' left out)."""
    frame, called = sys._getframe(1), None
    line = ""
    while frame is not None:
        code = frame.f_code
        if code.co_filename.endswith("django/core/handlers/base.py") and code.co_name in (
            "_get_response",
            "_get_response_async",
        ):
            # Below the handler: the view, or a middleware's process_view.
            inside = called is not None and called.f_code.co_name != "process_view"
            return f"{'view' if inside else 'middleware'} {line or 'django'}"
        if "/django/forms/" in code.co_filename and not line:
            return FORM
        if (
            not line
            and code.co_filename.startswith(str(ROOT))
            and "/.venv/" not in code.co_filename
            and code.co_name not in _NOTING_CODE
            and code.co_filename != PARAMS
        ):
            line = f"{Path(code.co_filename).relative_to(ROOT)}:{frame.f_lineno}"
        frame, called = frame.f_back, frame
    return f"middleware {line or 'django'}"


class _Read(str):
    """A value read from the request: notes each string it is compared with."""

    param: Param

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str) and _noting:
            _noting[-1].comparing(self.param, str(other))
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__


def _read(value: Any, param: Param) -> Any:
    if not isinstance(value, str):
        return value
    read = _Read(value)
    read.param = param
    return read


class _Reads(QueryDict):
    """A QueryDict that notes every key asked of it."""

    source = ""

    def _note(self, key: str) -> Param:
        param = (self.source, key)
        if _noting:
            _noting[-1].read(param)
        return param

    def __getitem__(self, key: str) -> Any:
        return _read(super().__getitem__(key), self._note(key))

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        param = self._note(key)
        return [_read(value, param) for value in super().getlist(key, default)]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._note(key)
        return super().__contains__(key)


# The functions of the noting classes, which read on the view's behalf.
_NOTING_CODE = {"_reader", "read", "_note", "__getitem__", "get", "getlist", "__contains__"}


class _GetReads(_Reads):
    source = "GET"


class _PostReads(_Reads):
    source = "POST"


def _noting_copy(cls: type[_Reads], data: QueryDict) -> QueryDict:
    copy = cls(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        copy.setlist(key, values)
    copy._mutable = data._mutable
    return copy


class _NotingRequest(WSGIRequest):
    """The test client's request, its GET and POST noting what is read from them."""

    @cached_property
    def GET(self) -> QueryDict:  # type: ignore[override]
        return _noting_copy(_GetReads, WSGIRequest.GET.func(self))

    def _load_post_and_files(self) -> None:
        try:
            super()._load_post_and_files()
        finally:
            post = getattr(self, "_post", None)
            if isinstance(post, QueryDict):
                self.POST = _noting_copy(_PostReads, post)


# ---------------------------------------------------------------------------------------
# Requests


CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str

    @property
    def converters(self) -> list[str]:
        return CONVERTER.findall(self.pattern)


@dataclass
class Outcome:
    status: int
    location: str
    error: str  # the exception, when the request raised one
    # The fields (as named in the request) that the response's forms refused.
    refused_fields: frozenset[str] = frozenset()
    # What the page's own form would post back untouched (see PostedBack).
    form: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Target:
    """One route as one role with one method, and its ordinary values: the objects the
    access matrix names for the route (its path parts, and the rest in the query string
    and, for a POST, the form too)."""

    route: Route
    role: str
    method: str
    path: dict[str, str]
    base: dict[Param, Value]

    def url(self, path_values: dict[str, str] | None = None) -> str:
        values = self.path | (path_values or {})
        return "/" + CONVERTER.sub(lambda m: values[m[1]], self.route.pattern)

    def where(self) -> str:
        return f"{self.route.name} /{self.route.pattern} as {self.role}: {self.method.upper()}"


def target_of(world: World, route: Route, role: str, method: str) -> Target:
    entry = MATRIX.get(route.name)
    values: dict[str, Any] = {}
    if entry is not None and entry.target is not None:
        values = TARGETS[entry.target].pick(world, world.own, role)
    plain = {k: str(v.pk if isinstance(v, Model) else v) for k, v in values.items()}
    in_path = set(route.converters)
    # A route missing from the matrix (whose own test says so) is still fuzzed, on pk 1.
    path_values = {name: plain.get(name, "1") for name in in_path}
    sources = ("GET",) if method == "get" else ("GET", "POST")
    base: dict[Param, Value] = {
        (source, k): v for k, v in plain.items() if k not in in_path for source in sources
    }
    return Target(route, role, method, path_values, base)


class Sender:
    """Sends requests, each in a savepoint rolled back after it (a logout, a password
    reset or an erasure done with junk undone before the next), and counts them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.count = 0

    def send(
        self,
        target: Target,
        values: dict[Param, Value],
        path_values: dict[str, str] | None = None,
    ) -> Outcome:
        query = {key: value for (source, key), value in values.items() if source == "GET"}
        form = {key: value for (source, key), value in values.items() if source == "POST"}
        url = target.url(path_values)
        client = Client(raise_request_exception=False)
        if target.role != ANONYMOUS:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.world.sessions[target.role]
        self.count += 1
        with transaction.atomic():
            try:
                if target.method == "get":
                    response = client.get(url, query)
                else:
                    response = client.post(url, {PROBE_KEY: "1", **form}, query_params=query)
                body_of(response)  # a streamed body fails only when it is read
            except Exception as error:  # reported with the request, not raised
                return Outcome(500, "", _described(error))
            finally:
                transaction.set_rollback(True)
        error = _described(response.exc_info[1]) if response.exc_info else ""
        outcome = Outcome(
            response.status_code, response.get("Location", ""), error, _refused_fields(response)
        )
        if target.method == "get" and response.get("Content-Type", "").startswith("text/html"):
            outcome.form = PostedBack.read(response.content.decode(), path=url)
        return outcome

    def noting(self, target: Target, values: dict[Param, Value]) -> tuple[Outcome, Noted]:
        noted = Noted()
        _noting.append(noted)
        try:
            with mock.patch("django.test.client.WSGIRequest", _NotingRequest):
                outcome = self.send(target, values)
        finally:
            _noting.pop()
        return outcome, noted


class PostedBack(HTMLParser):
    """The fields of a page's first form that posts back to the page, as a user who fills
    in only what is required would send them: the values shown, a required field left
    empty given a plain value of its type, a select without a choice its first real one.
    These are the ordinary values of the route's POST: junk in one field then meets valid
    values in the others, and reaches as far as a save."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.state = "before"  # "in" the form, then "after" it
        self.fields: dict[str, list[str]] = defaultdict(list)
        self.select: tuple[str, list[str], list[str]] | None = None  # name, selected, every
        self.option: tuple[str | None, bool, list[str]] | None = None  # value, selected, text
        self.textarea: tuple[str, bool, list[str]] | None = None  # name, required, text

    @classmethod
    def read(cls, html: str, *, path: str) -> dict[str, list[str]]:
        parser = cls(path)
        parser.feed(html)
        return dict(parser.fields)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and self.state == "before":
            action = urlsplit(a.get("action", "")).path
            if a.get("method", "").lower() == "post" and action in ("", self.path):
                self.state = "in"
        if self.state != "in" or "disabled" in a:
            return
        name, kind, required = a.get("name", ""), a.get("type", "text").lower(), "required" in a
        if tag == "input" and name and kind not in ("submit", "button", "reset", "file", "image"):
            if kind in ("checkbox", "radio"):
                if "checked" in a or (required and name not in self.fields):
                    self.fields[name].append(a.get("value", "on"))
            else:
                value = a.get("value", "")
                self.fields[name].append(value or (PLAIN.get(kind, "甲") if required else ""))
        elif tag == "select" and name:
            self.select = (name, [], [])
        elif tag == "option" and self.select is not None:
            self.option = (dict(attrs).get("value"), "selected" in a, [])
        elif tag == "textarea" and name:
            self.textarea = (name, required, [])

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[2].append(data)
        elif self.option is not None:
            self.option[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.state != "in":
            return
        if tag == "form":
            self.state = "after"
        if tag in ("option", "select") and self.option is not None and self.select is not None:
            value, selected, text = self.option
            value = "".join(text).strip() if value is None else value
            self.select[2].append(value)
            if selected:
                self.select[1].append(value)
            self.option = None
        if tag == "select" and self.select is not None:
            name, selected, every = self.select
            # Django marks the blank choice selected: a user picks a real one.
            real = [value for value in every if value]
            self.fields[name] += [value for value in selected if value] or real[:1] or every[:1]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, required, parts = self.textarea
            self.fields[name].append(
                "".join(parts).removeprefix("\n") or ("甲" if required else "")
            )
            self.textarea = None


# What a user types in a required field left empty, by the input's type.
PLAIN = {
    "number": "1",
    "date": dt.date.today().isoformat(),  # noqa: DTZ011 (a form's day, as a browser gives it)
    "email": "a@example.com",
    "tel": "13800000000",
    "password": "Fuzz-password-2026",
}


def _refused_fields(response: Any) -> frozenset[str]:
    """The request's names of the fields that the forms of the rendered templates refused."""
    contexts = response.context
    if contexts is None:
        return frozenset()
    names: set[str] = set()
    for context in contexts if isinstance(contexts, list) else [contexts]:
        for value in context.flatten().values():
            formset = value if isinstance(value, BaseFormSet) else None
            forms = [*formset.forms, formset.management_form] if formset else [value]
            for form in forms:
                if isinstance(form, BaseForm) and form.is_bound:
                    names |= {form.add_prefix(name) for name in form.errors if name in form.fields}
    return frozenset(names)


def _described(error: BaseException) -> str:
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(str(ROOT)) and "/.venv/" not in frame.filename
    ]
    at = f" at {Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {str(error)[:120]}{at}"


def refused(outcome: Outcome) -> bool:
    """The role is turned away before the view's body: 403, 405 or the login page."""
    login = resolve_url(settings.LOGIN_URL)
    return outcome.status in (403, 405) or (
        outcome.status == 302 and outcome.location.startswith(login)
    )


class Failures:
    """Each failed request, grouped by what failed (the exception and where)."""

    def __init__(self) -> None:
        self.groups: dict[str, list[str]] = defaultdict(list)
        self.first: dict[str, str] = {}

    def check(self, target: Target, outcome: Outcome, param: str, value: Any) -> None:
        if outcome.status < 500 and not outcome.error:
            return
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:20]}…(×{len(value)})"
        what = outcome.error or f"{outcome.status} without an exception"
        # One group per exception and line: the message often quotes the junk.
        group = re.sub(r"^(\w+): .* at ", r"\1 at ", what)
        self.first.setdefault(group, what)
        self.groups[group].append(f"{target.where()} {param}={shown}: {outcome.status}")

    def __bool__(self) -> bool:
        return bool(self.groups)

    def report(self) -> str:
        lines = []
        for group, requests in self.groups.items():
            lines.append(f"{self.first[group]} ({len(requests)} requests), e.g.")
            lines += [f"    {request}" for request in requests[:3]]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Discovery of what one route reads as one role


@dataclass
class Discovered:
    reached: bool
    # Each parameter read, with the branch it was first read in and where it was read.
    params: dict[Param, Context] = field(default_factory=dict)
    readers: dict[Param, str] = field(default_factory=dict)
    # A GET's page: the values of its form that posts back (the ordinary values of a POST).
    form: dict[str, list[str]] = field(default_factory=dict)


def discover(sender: Sender, target: Target, failures: Failures) -> Discovered:
    """Requests the route in each branch: as it is, then with every other parameter read so
    far set to PROBE, until no new one is read. The branches are the ordinary request
    (the route's ordinary values), then, breadth first, each parameter set to a value it
    was compared with. A branch is first requested as it is because a PROBE may end the
    request early (a cursor that is not a time is a 400)."""
    found = Discovered(reached=False)
    todo: list[Context] = [()]
    tried: set[Context] = {()}
    while todo:
        context = todo.pop(0)
        branch = dict(context)
        shown = " ".join(f"{key}={value}" for (_source, key), value in context)
        candidates: list[tuple[Param, str]] = []
        fill = False
        while True:
            values = dict(target.base)
            if fill:
                values.update({p: PROBE for p in found.params if p not in target.base})
            values.update(branch)
            outcome, noted = sender.noting(target, values)
            if not context and not fill:
                failures.check(target, outcome, "(ordinary values)", "")
                found = Discovered(reached=not refused(outcome), form=outcome.form)
                if not found.reached:
                    return found
            else:
                failures.check(target, outcome, shown or "(every parameter)", PROBE)
            candidates += [
                (param, value)
                for param, compared in noted.compared.items()
                for value in compared
                if value and value != PROBE and param not in branch
            ]
            if not _add(found, noted, context) and fill:
                break
            fill = True
        for param, value in candidates:
            key = tuple(sorted({*context, (param, value)}))
            if key not in tried and len(tried) <= MAX_BRANCHES:
                tried.add(key)
                todo.append(key)
    return found


def _add(found: Discovered, noted: Noted, context: Context) -> bool:
    """Adds the parameters read for the first time; whether there were any."""
    new = [param for param in noted.params if param not in found.params]
    for param in new:
        found.params[param] = context
        found.readers[param] = noted.params[param]
    return bool(new)


# ---------------------------------------------------------------------------------------
# Fuzzing

# The (parameter, line reading it) pairs already tried alone, by any route.
_tried_alone: set[tuple[Param, str]] = set()


def fuzz_route(sender: Sender, route: Route) -> Failures:
    """Every failed request of the route.

    A POST tries the parameters of its form, and those of the query string that a GET does
    not read (the GET tried those)."""
    failures = Failures()
    read_by_get: set[Param] = set()
    pages: dict[str, dict[str, list[str]]] = {}
    for method in METHODS:
        targets = {role: target_of(sender.world, route, role, method) for role in FUZZ_ROLES}
        for role, form in pages.items():
            for key, values in form.items():
                targets[role].base.setdefault(
                    ("POST", key), values[0] if len(values) == 1 else values
                )
        found = {role: discover(sender, targets[role], failures) for role in FUZZ_ROLES}
        everything: dict[Param, Context] = {}
        for role in FUZZ_ROLES:
            for param, context in found[role].params.items():
                if param not in read_by_get and (method == "post" or param[0] == "GET"):
                    everything.setdefault(param, context)
        first = True
        for role, target in targets.items():
            if found[role].reached:
                params = {p: c for p, c in found[role].params.items() if p in everything}
                cases = _reached(target, params, found[role].readers, first=first)
                first = False
            else:
                cases = _refused(target, everything)
            for values, path_values, junked, value in cases:
                outcome = sender.send(target, values, path_values)
                failures.check(target, outcome, _named(target, junked, path_values), value)
                # Some fields of a form took the junk, others refused it: again with only
                # those that took it, the others back to their ordinary values, so that the
                # form gets further (up to its save).
                took = [p for p in junked if p[1] not in outcome.refused_fields]
                if len(junked) > 1 and 0 < len(took) < len(junked):
                    values = {p: v for p, v in values.items() if p not in junked or p in took}
                    values |= {
                        p: target.base[p] for p in junked if p not in took and p in target.base
                    }
                    outcome = sender.send(target, values, path_values)
                    failures.check(target, outcome, _named(target, took, path_values), value)
        read_by_get = set(everything)
        pages = {role: found[role].form for role in FUZZ_ROLES}
    return failures


# (values, path values, the parameters given junk, the junk)
Case = tuple[dict[Param, Value], dict[str, str], list[Param], Value]


def _named(target: Target, junked: list[Param], path_values: dict[str, str]) -> str:
    """The parts given junk: <a path part>, a parameter, ?a parameter of a POST's query."""
    query = "?" if target.method == "post" else ""
    names = [f"<{name}>" for name in path_values]
    names += [f"{query if source == 'GET' else ''}{key}" for source, key in junked]
    return "+".join(names) or "(nothing)"


def _reached(
    target: Target, params: dict[Param, Context], readers: dict[Param, str], *, first: bool
) -> Iterator[Case]:
    """The requests of a role that reaches the view's body: junk in each part of the path;
    in each parameter read outside a form alone, unless the line reading it was tried by
    now; in all the parameters of each branch at once. The first such role of a route
    sends every junk value, the others some."""
    junk = JUNK if first else SOME
    for name in target.route.converters:
        for value in PATH_JUNK if first else (HUGE,):
            yield dict(target.base), {name: value}, [], value
    alone = []
    for param in params:
        key = (param, readers[param])
        if readers[param] != FORM and key not in _tried_alone:
            _tried_alone.add(key)
            alone.append(param)
    for param in alone:
        for value in JUNK:
            yield {**target.base, **dict(params[param]), param: value}, {}, [param], value
    by_branch: dict[Context, list[Param]] = defaultdict(list)
    for param, context in params.items():
        if not readers[param].startswith("middleware"):
            by_branch[context].append(param)
    for context, group in by_branch.items():
        if len(group) == 1 and group[0] in alone:
            continue  # tried alone just now
        for value in junk:
            values = {**target.base, **dict(context), **dict.fromkeys(group, value)}
            yield values, {}, group, value


def _refused(target: Target, params: dict[Param, Context]) -> Iterator[Case]:
    """One request of a role refused before the view's body, with junk everywhere."""
    values = {**target.base, **dict.fromkeys(params, "²")}
    path_values = dict.fromkeys(target.route.converters, HUGE)
    yield values, path_values, list(params), "²"


# ---------------------------------------------------------------------------------------
# The tests

LIVE = [Route(name or "", pattern) for name, pattern in sorted(set(routes()))]


@pytest.fixture(autouse=True)
def _quiet_500s():
    """Each 500 is reported by the test, named; Django's log of it would only be noise."""
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    yield
    request_log.setLevel(level)


@pytest.mark.parametrize("route", LIVE, ids=[f"{r.name}:/{r.pattern}" for r in LIVE])
def test_junk_never_gives_a_500(world, route):
    sender = Sender(world)
    failures = fuzz_route(sender, route)
    assert not failures, (
        f"{route.name} /{route.pattern}: {sender.count} requests, failed:\n{failures.report()}"
    )


def test_every_id_in_a_path_is_bounded():
    """`<id:pk>` (aidcase.params.IdConverter) rather than `<int:pk>`, whose 25 digits no
    database integer holds."""
    unbounded = [f"{r.name}: /{r.pattern}" for r in LIVE if "<int:" in r.pattern]
    assert not unbounded, unbounded


def test_discovery_finds_the_parameters_branches_and_form_fields(world):
    """The audit page reads its tab and cursor, and the access tab's action filter once the
    tab is opened; the calendar's POST reads its action, and each form's fields in the
    branch the action opens; a role refused is not explored."""
    sender = Sender(world)

    def discovered(name: str, pattern: str, role: str, method: str) -> Discovered:
        return discover(sender, target_of(world, Route(name, pattern), role, method), Failures())

    audit = discovered("audit_home", "audit/", "office", "get")
    assert {("GET", "view"), ("GET", "before"), ("GET", "kind")} <= set(audit.params)
    assert audit.params[("GET", "action")] == ((("GET", "view"), "access"),)
    assert audit.readers[("GET", "before")].startswith("view governance/views.py:")

    calendar = discovered("school_calendar", "calendar/", "office", "post")
    assert calendar.readers[("POST", "action")].startswith("view visits/office_views.py:")
    assert calendar.params[("POST", "holiday-day")] == ((("POST", "action"), "holiday"),)
    assert calendar.params[("POST", "exam-date")] == ((("POST", "action"), "exam"),)
    assert calendar.readers[("POST", "exam-date")] == FORM

    assert not discovered("school_calendar", "calendar/", "teacher", "get").reached


def test_a_page_gives_the_ordinary_values_of_its_post(world):
    """The values a user who fills in only what is required would post: the pairing form's
    first teacher and today as its start, a student's own record on its edit page."""
    sender = Sender(world)
    pairing = sender.send(
        target_of(world, Route("pairing_create", "students/<id:pk>/pair/"), "office", "get"), {}
    )
    assert pairing.form["teacher"] and pairing.form["teacher"] != [""]
    assert pairing.form["start"] == [dt.date.today().isoformat()]  # noqa: DTZ011
    student = sender.send(
        target_of(world, Route("student_edit", "students/<id:pk>/edit/"), "office", "get"), {}
    )
    assert student.form["name"] == [world.own.student.name]


def _fragile(request: HttpRequest, pk: int) -> HttpResponse:
    """What the fuzzer is for: parameters named nowhere but here, parsed the naive way."""
    page = request.GET.get("page", "")
    if page.isdigit():  # '²'.isdigit() is True, int('²') raises
        page = str(int(page))
    if request.GET.get("tab") == "older":  # a branch, with a parameter of its own
        day = dt.date.fromisoformat(request.GET.get("since") or "2026-01-01")
        page += str(day + dt.timedelta(days=1))
    return HttpResponse(page)


urlpatterns = [
    path("", include("aidcase.urls")),
    path("fragile/<id:pk>/", _fragile, name="fragile"),
]


def test_the_fuzzer_finds_a_500_behind_a_parameter_no_one_listed(world):
    with override_settings(ROOT_URLCONF=__name__):
        failures = fuzz_route(Sender(world), Route("fragile", "fragile/<id:pk>/"))
    where = "fragile /fragile/<id:pk>/ as anonymous: GET"
    requests = {request for group in failures.groups.values() for request in group}
    assert f"{where} page='²': 500" in requests, failures.report()
    assert f"{where} since='9999-12-31': 500" in requests  # in the branch tab=older
    assert f"{where} since='²': 500" in requests
    line = _fragile.__code__.co_firstlineno
    assert set(failures.groups) == {
        f"ValueError at tests/aidcase/test_route_fuzzer.py:{line + 4}",  # int('²')
        f"ValueError at tests/aidcase/test_route_fuzzer.py:{line + 6}",  # fromisoformat
        f"OverflowError at tests/aidcase/test_route_fuzzer.py:{line + 7}",  # a day after
    }
