"""Every page each role opens, in Chinese and in English, says everything in that language:
no English left on a Chinese page, no Chinese (or full-width punctuation) on an English page.

What the records hold (names, classes, notes typed by people) is data, shown as typed, and is
taken out of the text first; a stored code shown through a label (categories, kinds, reasons of
the audit trail) is not data, so it must be translated too."""

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.utils import translation
from django.utils.module_loading import import_string

from imports.services import COUNTY_SHEETS, SHEETS
from tests.access import routes
from tests.aidcase.test_access_matrix import (
    MATRIX,
    METHODS,
    OK,
    ROLES,
    client_of,
    values_of,
)

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
PAGES = [
    (name, pattern, role)
    for name, pattern in sorted(set(routes()))
    if name in MATRIX
    for role in ROLES
    if MATRIX[name].access[role][METHODS.index("get")] == OK
]
# Words that are the same in both languages: the product's and programs' names, file formats
# and units.
LATIN_ALLOWED = {
    *("AidCase", "Excel", "WPS", "LibreOffice"),
    *("PDF", "ZIP", "CSV", "xlsx", "xls", "ods", "JPEG", "PNG", "WebP", "QR", "MB"),
    # the account names DESIGN gives a school's two accounts: office-<code>, principal-<code>
    *("office", "principal"),
}
LATIN = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Text(HTMLParser):
    """What a page shows or reads out in its own language: its text (not scripts or styles)
    and the attributes people see or hear. An element marked as another language (`lang`) is
    left out: the 学籍号 header a file must have, the language switch's 简体中文."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, whether it is left out)

    def _out(self) -> bool:
        return any(out for _tag, out in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        lang = (named.get("lang") or "").lower()
        other = bool(lang) and not lang.startswith(self.language.split("-")[0])
        if tag not in VOID:
            self._open.append((tag, tag in ("script", "style") or other))
        if self._out() or other:
            return
        self.parts.extend(value for name, value in attrs if value and name in ATTRIBUTES)
        if tag == "input" and named.get("type") in ("submit", "button"):
            self.parts.append(named.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._out():
            self.parts.append(data)


def page_text(html: str, language: str) -> str:
    parser = _Text(language)
    parser.feed(html)
    return "\n".join(parser.parts)


def stored_strings() -> list[str]:
    """Every string the records hold that is shown as typed, longest first (so that a name
    inside a longer note goes with the note)."""
    found: set[str] = set()
    for model in apps.get_models():
        if model.__module__.startswith("django.") or "history" in model._meta.db_table:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            found.update(str(value) for value in row if value)
    return sorted(found, key=len, reverse=True)


# A photo is named by its file name in the access log.
FILE_NAMES = re.compile(r"photo-\d+(\.jpg)?")


def foreign(text: str, language: str, data: list[str]) -> list[str]:
    for value in data:
        text = text.replace(value, " ")
    text = FILE_NAMES.sub(" ", text)
    if language == "en":
        # A help text may quote the mark people type between items (“、”).
        return sorted(set(CJK.findall(text.replace("“、”", " "))))
    return sorted({w for w in LATIN.findall(text) if w not in LATIN_ALLOWED})


def get(client: Client, pattern: str, values: dict[str, Any], language: str) -> Any:
    def plain(value: Any) -> Any:
        return value.pk if isinstance(value, models.Model) else value

    in_path = set(CONVERTER.findall(pattern))
    url = "/" + CONVERTER.sub(lambda m: str(plain(values[m[1]])), pattern)
    data = {k: plain(v) for k, v in values.items() if k not in in_path}
    return client.get(url, data, headers={"accept-language": language})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_is_in_one_language(world, language):
    data = stored_strings() + [user.username for user in apps.get_model("auth.User").objects.all()]
    problems = {}
    for name, pattern, role in PAGES:
        values = values_of(world, MATRIX[name], "a1", role)
        response = get(client_of(world, role), pattern, values, language)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, (name, role)
        if found := foreign(page_text(html, language), language, data):
            problems[f"{role} /{pattern}"] = found[:12]
    assert not problems, "\n".join(f"{page}: {' '.join(words)}" for page, words in problems.items())


def test_every_header_of_every_sheet_has_an_english_meaning():
    headers = {
        column.header
        for path in [*SHEETS.values(), *COUNTY_SHEETS.values()]
        for column in import_string(path).columns
    }
    with translation.override("en"):
        untranslated = sorted(h for h in headers if translation.gettext(h) == h)
    assert untranslated == []
