"""axe-core (pinned in package.json, installed by `make install`) run in the page under test:
the WCAG 2.0 A/AA and 2.1 AA rules, as the issue and the bureau's procurement check them.

`check_everywhere(page)` is what the journeys call on each page they reach: the page at 390 and
1366 px, in Chinese and in English, must pass axe and must not scroll sideways. Each kind of
page (its URL name and query keys) is checked once per test run, so that a page every journey
passes through does not cost its four runs again and again."""

import json
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.urls import resolve
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
WIDTHS = (390, 1366)
LANGUAGES = ("zh-hans", "en")

# The kinds of page checked in this run (see page_kind); shared by every test of the session.
CHECKED: set[str] = set()


@cache
def _source() -> str:
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `make install` (npm ci of package.json)")
    return AXE.read_text()


def _run(page: Page) -> list[dict]:
    """axe's violations of the page as it is now: [{id, help, nodes: [selector, ...]}].
    The script is evaluated through the browser's debugging protocol, which the page's
    Content-Security-Policy does not restrict, and leaves the page as it was."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})).violations.map((v) => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map((n) => n.target.join(' '))}))",
        TAGS,
    )


def violations(page: Page) -> list[str]:
    """Each violation as "rule: the first nodes' selectors"; empty when the page passes."""
    return [f"{v['id']}: {json.dumps(v['nodes'][:5], ensure_ascii=False)}" for v in _run(page)]


def page_kind(url: str, *, posted: bool = False, variant: str = "") -> str:
    """What makes two addresses the same kind of page: the view's URL name and the names (not
    the values) of the query's parameters; a form's answer to a POST is a kind of its own, and
    `variant` names another page one address can show (an import's preview or its errors)."""
    parts = urlsplit(url)
    name = resolve(parts.path).url_name or parts.path
    keys = ",".join(sorted(parse_qs(parts.query, keep_blank_values=True)))
    return f"{name}?{keys}{' (posted)' if posted else ''}{f' ({variant})' if variant else ''}"


def _settled(page: Page) -> None:
    """Waits two frames: the page's own resize handlers (the tables that mark that they
    scroll) have run after a change of the viewport."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _problems(page: Page, width: int, language: str) -> list[str]:
    where = f"{page.url} at {width}px in {language}"
    found = [
        f"{where}: {v['id']} ({v['help']}): {json.dumps(v['nodes'][:8], ensure_ascii=False)}"
        + (f" and {len(v['nodes']) - 8} more" if len(v["nodes"]) > 8 else "")
        for v in _run(page)
    ]
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if wide > width:
        found.append(f"{where}: the page is {wide}px wide (it scrolls sideways)")
    return found


def _at_both_widths(page: Page, language: str) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        _settled(page)
        found += _problems(page, width, language)
    return found


def _set_language(page: Page, language: str | None) -> None:
    """The language as the app's switch (set_language) keeps it: its cookie; None removes it
    (the browser's Accept-Language decides again)."""
    cookie = settings.LANGUAGE_COOKIE_NAME
    page.context.clear_cookies(name=cookie)
    if language is not None:
        page.context.add_cookies([{"name": cookie, "value": language, "url": page.url}])


def check_everywhere(page: Page, *, posted: bool = False, variant: str = "") -> None:
    """Fails, listing every violation (rule, nodes, address, width, language), unless the
    page passes axe and fits the screen at 390 and 1366 px in both languages.

    A page shown by a GET is reloaded in the other language and then in the journey's again;
    the answer to a POST (a refused form) cannot be reloaded, so it is checked in the page's
    language only. The journey's viewport is given back, and its language for a GET."""
    kind = page_kind(page.url, posted=posted, variant=variant)
    if kind in CHECKED:
        return
    page.wait_for_load_state()
    CHECKED.add(kind)
    viewport = page.viewport_size
    shown = page.evaluate("() => document.documentElement.lang")
    found = _at_both_widths(page, shown)
    if not posted:
        cookie = settings.LANGUAGE_COOKIE_NAME
        kept = [c for c in page.context.cookies(page.url) if c["name"] == cookie]
        for language in LANGUAGES:
            if language == shown:
                continue
            _set_language(page, language)
            page.reload()
            found += _at_both_widths(page, language)
        _set_language(page, kept[0]["value"] if kept else None)
        page.reload()
    if viewport is not None:
        page.set_viewport_size(viewport)
        _settled(page)
    assert not found, "axe or the layout found problems:\n" + "\n".join(found)
