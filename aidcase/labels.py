"""How a name is shown with what tells it apart, in the page's language: full-width brackets in
Chinese, "Wang Fang (T001)" in English."""

from django.utils.translation import gettext


def named(name: str, code: str) -> str:
    """A person or student with their 工号 / 学籍号, or a pairing with its category."""
    return gettext("%(name)s（%(code)s）") % {"name": name, "code": code}
