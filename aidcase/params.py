"""Reading the parameters of a request (the query string, or a form that no Django form
reads): typed, bounded, and never raising anything but BadParameter (or Http404).

A link can carry anything: '²'.isdigit() is True but int('²') raises, an id of 25 digits
overflows a database integer, a date in year 9999 has no day after it, a time of
9999-12-31T23:59:59-01:00 has no UTC, and PostgreSQL refuses a NUL byte in text. Each
function answers None (or the default) when the parameter is absent or empty, the value when
it is what it should be, and raises BadParameter for anything else, which Django answers
with 400 and templates/400.html (an id that is not one is a 404 instead, as for an id of no
record). A key given twice counts by its last value, as QueryDict.get reads it.
"""

import datetime as dt
import re
from collections.abc import Collection

from django.core.exceptions import BadRequest
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme

# The days AidCase deals in (births, school years, logs), with room on both sides: a date
# outside them is a typo or junk, and inside them date arithmetic cannot overflow.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
# Ids are positive 64-bit integers; 18 digits always fit.
MAX_ID = 10**18 - 1

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Control characters, NUL included, have no place in a search or a code.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadParameter(BadRequest):
    """A parameter that is present but not what it should be."""

    def __init__(self, name: str) -> None:
        super().__init__(f"bad value of the parameter {name!r}")
        self.name = name


def _value(params: QueryDict, name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) and value != "" else None


def query_int(params: QueryDict, name: str, *, minimum: int, maximum: int) -> int | None:
    """An integer of ASCII digits (with an optional minus) from minimum to maximum."""
    value = _value(params, name)
    if value is None:
        return None
    if not _INTEGER.fullmatch(value) or not minimum <= int(value) <= maximum:
        raise BadParameter(name)
    return int(value)


def query_id(params: QueryDict, name: str) -> int | None:
    """The id of a record (1 to MAX_ID); whether the record exists, and is the user's to
    see, is the caller's to check. Anything else names no record: a 404, as for an id of
    no record (or of one out of the user's reach)."""
    try:
        return query_int(params, name, minimum=1, maximum=MAX_ID)
    except BadParameter:
        raise Http404 from None


def query_date(params: QueryDict, name: str) -> dt.date | None:
    """A day written YYYY-MM-DD, from FIRST_DAY to LAST_DAY."""
    value = _value(params, name)
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise BadParameter(name)
    return day


def query_datetime(params: QueryDict, name: str) -> dt.datetime | None:
    """A moment in ISO 8601 (as `datetime.isoformat()` writes it), aware: one without an
    offset is read in the current time zone. Its date, there and in UTC, lies from
    FIRST_DAY to LAST_DAY."""
    value = _value(params, name)
    if value is None:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    # The bounds leave a day on either side, so the conversions below cannot overflow.
    if moment is None or not FIRST_DAY < moment.date() < LAST_DAY:
        raise BadParameter(name)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt.UTC)


def query_choice[Choice: str](
    params: QueryDict, name: str, choices: Collection[Choice], default: Choice
) -> Choice:
    """One of the choices (a tab, a filter, a sort order); the default for anything else,
    as a link to a tab that is gone still opens the page."""
    value = _value(params, name)
    for choice in choices:
        if value == choice:
            return choice
    return default


def query_match(params: QueryDict, name: str, pattern: re.Pattern[str]) -> str | None:
    """A code in ASCII (such as a semester's, 2025-2026-1) that the whole pattern matches."""
    value = _value(params, name)
    if value is None:
        return None
    if not value.isascii() or not pattern.fullmatch(value):
        raise BadParameter(name)
    return value


def query_text(params: QueryDict, name: str, *, max_length: int = 100) -> str:
    """Free text, such as a search: without control characters or the spaces around it,
    cut to max_length ("" when absent)."""
    value = _value(params, name) or ""
    return _CONTROL.sub("", value).strip()[:max_length]


class IdConverter:
    """`<id:pk>` in a URL pattern: the id of a record, 1 to 18 ASCII digits. A longer
    number (which no 64-bit column holds) is a 404 before any view runs, as is a non-number."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(value)


def query_local_url(params: QueryDict, name: str) -> str | None:
    """A path on this site to go on to (`next`); None for anything else, another site's
    address included, so that the caller's default applies."""
    value = _value(params, name)
    if (
        value is None
        or not value.startswith("/")
        or _CONTROL.search(value)
        or not url_has_allowed_host_and_scheme(value, allowed_hosts=None)
    ):
        return None
    return value
