"""HTML to PDF with WeasyPrint, for the printed sheets under templates/<app>/pdf/.

Every PDF is set in one font, FONT, which each template names in its `html` rule and its
`@page` margin boxes: one font face is embedded, as a subset of the glyphs used. Text the
font has no glyph for (a parent's emoji…) would pull in a fallback font or print as a box
that breaks copying text out of the PDF, so it is replaced before rendering.
"""

import bisect
import functools
import logging
import shutil
import subprocess
import unicodedata

from weasyprint import HTML
from weasyprint.urls import URLFetcher

FONT = "Noto Sans CJK SC"
MISSING = "□"  # what Chinese typesetting prints for a character it lacks (缺字)
# A sheet is rendered on the server from our own templates: anything it needs is on disk
# or inline. Refusing http(s) keeps a stray URL in a record from turning the server into a
# client of someone else's host, or a render into a 10-second timeout.
LOCAL_PROTOCOLS = ("file", "data")

logger = logging.getLogger(__name__)


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of an HTML document (the page size comes from its CSS). Fonts are embedded
    as subsets (a whole CJK font is 20 MB); images are recompressed. `base_url` resolves
    relative links, e.g. to files on disk."""
    fetcher = URLFetcher(allowed_protocols=LOCAL_PROTOCOLS, allow_redirects=False)
    document = HTML(string=printable(html), base_url=base_url, url_fetcher=fetcher)
    return bytes(document.write_pdf(optimize_images=True, full_fonts=False))


def printable(text: str) -> str:
    """`text` with each character FONT lacks replaced by MISSING, or dropped when it is an
    invisible mark (emoji modifiers, joiners, variation selectors)."""
    ranges = _coverage()
    if ranges is None:
        return text
    missing = {c for c in set(text) if ord(c) >= 0x80 and not _covered(ord(c), ranges)}
    if not missing:
        return text
    invisible = ("Mn", "Me", "Cf", "Sk")
    return text.translate(
        {ord(c): "" if unicodedata.category(c) in invisible else MISSING for c in missing}
    )


def _covered(code: int, ranges: tuple[list[int], list[int]]) -> bool:
    starts, ends = ranges
    index = bisect.bisect_right(starts, code) - 1
    return index >= 0 and code <= ends[index]


@functools.cache
def _coverage() -> tuple[list[int], list[int]] | None:
    """The code point ranges FONT has glyphs for, as fontconfig sees them (the same
    fontconfig WeasyPrint renders with). None when that cannot be told: then text is
    passed on as it is."""
    command = shutil.which("fc-match")
    if command is None:
        logger.warning("fc-match not found: PDF text is not checked against %s", FONT)
        return None
    result = subprocess.run(  # noqa: S603 — fixed arguments
        [command, "--format=%{family}\n%{charset}", FONT],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    family, _, charset = result.stdout.partition("\n")
    if FONT not in family.split(","):
        # fontconfig substitutes another font for a missing one: its glyphs say nothing.
        logger.warning("%s is not installed (run scripts/system-deps)", FONT)
        return None
    starts, ends = [], []
    for item in charset.split():
        low, _, high = item.partition("-")
        starts.append(int(low, 16))
        ends.append(int(high or low, 16))
    return starts, ends
