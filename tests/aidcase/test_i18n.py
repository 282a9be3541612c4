"""The UI is written in Chinese and translated to English through Django i18n
(`locale/en/LC_MESSAGES/django.po`, msgids in Chinese). These tests check that English works
end to end and that the catalogue is complete and up to date with the source."""

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

from students.models import Category
from tests.conftest import login
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"
# The same ignores as the documented command (README / po header).
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "en",
    "--ignore=.venv",
    "--ignore=var",
    "--ignore=tests",
    "--no-obsolete",
]
HOW_TO_FIX = (
    "run `.venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=var "
    "--ignore=tests --no-obsolete`, translate every new, empty or fuzzy entry in "
    "locale/en/LC_MESSAGES/django.po (drop the fuzzy flag once checked), then run "
    "`make install` (it runs compilemessages)"
)


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for catalogues written by gettext (no obsolete entries)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: str | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: string without a keyword"
            append(current, target, ast.literal_eval(line))
        else:
            keyword, _, value = line.partition(" ")
            target = keyword
            append(current, target, ast.literal_eval(value))
    return entries


def append(entry: Entry, keyword: str, text: str) -> None:
    if keyword == "msgid":
        entry.msgid += text
    elif keyword == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    elif keyword == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    elif keyword.startswith("msgstr"):
        entry.msgstrs[keyword] = entry.msgstrs.get(keyword, "") + text
    else:
        raise AssertionError(f"unknown keyword {keyword!r} in {PO_FILE}")


def messages(path: Path) -> list[Entry]:
    return [entry for entry in parse_po(path) if entry.msgid]


def describe(entry: Entry) -> str:
    return f"django.po:{entry.line}: {entry.msgid!r}"


@pytest.fixture(scope="session", autouse=True)
def _catalogue_is_compiled() -> None:
    assert PO_FILE.exists(), f"{PO_FILE} is missing: {HOW_TO_FIX}"
    assert MO_FILE.exists(), (
        f"{MO_FILE} is missing: `make test` runs `make install`, which compiles the catalogue; "
        "run `make install` (or `.venv/bin/python manage.py compilemessages --ignore=.venv "
        "--ignore=var`) before pytest"
    )
    assert MO_FILE.stat().st_mtime >= PO_FILE.stat().st_mtime, (
        f"{MO_FILE} is older than {PO_FILE}: run `make install` to recompile it"
    )


# --- the catalogue -------------------------------------------------------------------------


def test_catalogue_header_is_english_with_two_plural_forms():
    header = next(entry for entry in parse_po(PO_FILE) if entry.msgid == "")
    text = header.msgstrs["msgstr"]
    assert "Language: en\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in text
    assert "charset=UTF-8" in text
    assert "fuzzy" not in header.flags


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = messages(PO_FILE)
    assert entries, f"{PO_FILE} holds no messages: {HOW_TO_FIX}"
    fuzzy = [describe(e) for e in entries if "fuzzy" in e.flags]
    empty = [describe(e) for e in entries if not all(e.msgstrs.values())]
    assert not fuzzy, f"fuzzy translations (unchecked guesses) — {HOW_TO_FIX}:\n" + "\n".join(fuzzy)
    assert not empty, f"untranslated messages — {HOW_TO_FIX}:\n" + "\n".join(empty)


def test_plural_messages_have_both_english_forms():
    for entry in messages(PO_FILE):
        if entry.msgid_plural is not None:
            assert set(entry.msgstrs) == {"msgstr[0]", "msgstr[1]"}, describe(entry)


PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")


def test_translations_keep_every_placeholder():
    wrong = []
    for entry in messages(PO_FILE):
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            expected = sorted(PLACEHOLDER.findall(source))
            for key, text in entry.msgstrs.items():
                if sorted(PLACEHOLDER.findall(text)) != expected:
                    wrong.append(f"{describe(entry)} {key}={text!r}")
    assert not wrong, "translations must keep the placeholders of the msgid:\n" + "\n".join(wrong)


def test_translations_are_english():
    cjk = re.compile(r"[\u3400-\u9fff]")  # Chinese punctuation such as “、” may be quoted
    chinese = [
        f"{describe(entry)} {key}={text!r}"
        for entry in messages(PO_FILE)
        for key, text in entry.msgstrs.items()
        if cjk.search(text)
    ]
    assert not chinese, "English translations still contain Chinese text:\n" + "\n".join(chinese)


def test_catalogue_is_up_to_date_with_the_source(tmp_path):
    """Runs makemessages on a copy of the tree (the checkout itself is not touched) and
    compares its messages with the catalogue: a string wrapped in gettext but missing from
    the catalogue would show up in Chinese to English users."""
    assert shutil.which("xgettext"), "gettext is missing: run `make install` (scripts/system-deps)"
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            "var",
            ".git",
            "tests",
            "locale",
            "*cache*",
            "__pycache__",
            "*.mo",
            "node_modules",
            "test-results",
        ),
    )
    (copy / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SECRET_KEY"] = "makemessages-check-" + "x" * 50
    result = subprocess.run(  # noqa: S603 — fixed arguments, our own manage.py
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    extracted = {e.key: e for e in messages(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    catalogue = {e.key: e for e in messages(PO_FILE)}
    missing = [repr(entry.msgid) for key, entry in extracted.items() if key not in catalogue]
    stale = [describe(catalogue[key]) for key in catalogue.keys() - extracted.keys()]
    assert not missing, "strings in the source are missing from the catalogue — " + (
        HOW_TO_FIX + ":\n" + "\n".join(sorted(missing))
    )
    assert not stale, f"the catalogue holds strings no longer in the source — {HOW_TO_FIX}:\n" + (
        "\n".join(sorted(stale))
    )


# --- English in the running app ------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_in_english_from_accept_language(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert '<button type="submit" class="primary block">Log in</button>' in html
    assert "Username (staff number)" in html
    assert "登录" not in html


@pytest.mark.django_db
def test_login_page_in_chinese_by_default_and_from_accept_language(client):
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}):
        response = client.get("/accounts/login/", **headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html, headers
        assert '<button type="submit" class="primary block">登录</button>' in html, headers
        assert "Log in" not in html, headers


@pytest.mark.django_db
def test_teacher_switches_to_english_and_back():
    client = login(make_user())
    chinese = client.get("/me/").content.decode()
    assert "我的帮扶学生" in chinese
    assert ">我的学生<" in chinese  # navigation

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/me/"})
    assert response.status_code == 302
    assert response["Location"] == "/me/"

    response = client.get("/me/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Students I help" in html
    assert ">My students<" in html  # navigation
    assert "Main navigation" in html
    assert "Change password" in html
    assert "Log out" in html
    assert "我的帮扶学生" not in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/me/"})
    assert "我的帮扶学生" in client.get("/me/").content.decode()


def test_category_labels_translate():
    with translation.override("en"):
        assert str(Category.POOR.label) == "Low-income student"
        english = {str(label) for label in Category.labels}
    assert len(english) == len(Category.labels)
    assert not any(re.search(r"[\u4e00-\u9fff]", label) for label in english), english
    with translation.override("zh-hans"):
        assert str(Category.POOR.label) == "家庭经济困难学生"


def test_plural_forms_in_english():
    with translation.override("en"):
        one = translation.ngettext("共 %(n)s 名学生", "共 %(n)s 名学生", 1) % {"n": 1}
        many = translation.ngettext("共 %(n)s 名学生", "共 %(n)s 名学生", 3) % {"n": 3}
    assert one == "1 student"
    assert many == "3 students"
