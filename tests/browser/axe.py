"""axe-core (pinned in package.json, installed by `make install`) run in the page under test:
the WCAG 2.0 A/AA and 2.1 AA rules, as the issue and the bureau's procurement check them."""

import json
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]


@cache
def _source() -> str:
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `make install` (npm ci of package.json)")
    return AXE.read_text()


def violations(page: Page) -> list[str]:
    """Each violation as "rule: the first nodes' selectors"; empty when the page passes.
    The script is evaluated through the browser's debugging protocol, which the page's
    Content-Security-Policy does not restrict, and leaves the page as it was."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})).violations.map((v) => ({id: v.id,"
        " nodes: v.nodes.map((n) => n.target.join(' '))}))",
        TAGS,
    )
    return [f"{v['id']}: {json.dumps(v['nodes'][:5], ensure_ascii=False)}" for v in found]
