"""Punctuation that belongs to the page's language: what a template puts between a label and
its value, around a note or between items. Chinese uses full-width marks (乡镇：城关镇,
（祖母）, 甲；乙), English its own ("Township: Chengguan", " (grandmother)", "a; b"), so they
are translated like any other text. A builtin, so no template needs to load it."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from aidcase.labels import bracketed

register = template.Library()


@register.simple_tag
def colon() -> str:
    """The mark between a label and its value: "：" / ": "."""
    return gettext("：")


@register.simple_tag
def list_separator() -> str:
    """The mark between items of a run-in list: "；" / "; "."""
    return gettext("；")


register.filter("bracketed", bracketed)


@register.filter
def sheet_header(header: str) -> SafeString:
    """A column's header as the file must have it, in Chinese (marked so: a screen reader
    reads it as Chinese), followed on an English page by what it means: "学籍号 (Student no.)"."""
    meaning = gettext(header)
    if meaning == header:
        return format_html('<span lang="zh-Hans">{}</span>', header)
    return format_html('<span lang="zh-Hans">{}</span>{}', header, bracketed(meaning))


@register.filter
def sheet_values(values: Any) -> SafeString:
    """The values a column takes, as the file must hold them (Chinese, marked so)."""
    return format_html('<span lang="zh-Hans">{}</span>', "、".join(values))
