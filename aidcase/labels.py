"""How a name is shown with what tells it apart, in the page's language: full-width brackets in
Chinese, "Wang Fang (T001)" in English."""

from typing import Any

from django.utils.translation import gettext


def bracketed(note: Any) -> str:
    """A note after a name: "（祖母）" / " (grandmother)"; nothing for nothing."""
    if note in (None, ""):
        return ""
    return gettext("（%(note)s）") % {"note": note}


def named(name: str, code: str) -> str:
    """A person or student with their 工号 / 学籍号, or a pairing with its category."""
    return f"{name}{bracketed(code)}"
