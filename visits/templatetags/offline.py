"""The page's part of a teacher's offline use (static/js/offline.js reads it): the installable
app's manifest for teachers, whose phone this page is for (`data-offline`), and the words the
script shows, translated here like every other text."""

import json
from collections.abc import Callable
from typing import Any

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from visits.offline_views import is_offline_user, owner_stamp

register = template.Library()


def _counted(say: Callable[[int], str]) -> dict[str, str]:
    # The script picks the form by the number and puts the number in for {n}. `say` calls
    # ngettext with the words themselves, so that makemessages finds them.
    return {"one": say(1) % {"n": "{n}"}, "other": say(2) % {"n": "{n}"}}


def _words() -> dict[str, Any]:
    return {
        "banner": gettext("离线：显示的是 %(time)s 的数据") % {"time": "{time}"},
        "pending": _counted(lambda n: ngettext("%(n)s 条记录待上传", "%(n)s 条记录待上传", n)),
        "sent": _counted(lambda n: ngettext("已上传 %(n)s 条记录", "已上传 %(n)s 条记录", n)),
        "logout": _counted(
            lambda n: ngettext(
                "有 %(n)s 条记录尚未上传，退出后将被删除。确定退出？",
                "有 %(n)s 条记录尚未上传，退出后将被删除。确定退出？",
                n,
            )
        ),
        "password": _counted(
            lambda n: ngettext(
                "有 %(n)s 条记录尚未上传，修改密码后将被删除。确定继续？",
                "有 %(n)s 条记录尚未上传，修改密码后将被删除。确定继续？",
                n,
            )
        ),
        "kept": _counted(
            lambda n: ngettext(
                "此手机上有 %(n)s 条记录尚未上传：用原账号登录后会自动上传。",
                "此手机上有 %(n)s 条记录尚未上传：用原账号登录后会自动上传。",
                n,
            )
        ),
        "written": gettext("记录于 %(time)s") % {"time": "{time}"},
        "send_now": gettext("立即上传"),
        "correct": gettext("修改"),
        "delete": gettext("删除"),
        "delete_all": gettext("删除这些记录"),
        "confirm_delete": gettext("确定删除这条记录？删除后无法恢复。"),
        "confirm_delete_all": gettext("确定删除手机上所有未上传的记录？删除后无法恢复。"),
        "saved": gettext("没有网络：记录已保存在手机上，有信号时会自动上传。"),
        "editing": gettext("正在修改一条待上传的记录：保存后回到待上传列表。"),
        "sending": gettext("正在上传…"),
        "login": gettext("登录已过期：请重新登录，登录后会自动上传。"),
        "network": gettext("网络不通：有信号时会自动再试。"),
        "busy": gettext("服务器暂时无法处理，稍后会自动再试。"),
        "refused": gettext("服务器未接受，请修改或删除："),
        "gone": gettext(
            "无法上传：该学生已不在您的帮扶名单中（结对可能已结束）。请删除这条记录，或联系资助办。"
        ),
    }


@register.simple_tag(takes_context=True)
def offline_head(context: template.Context) -> SafeString:
    """A teacher's pages name the installable app; no one else's do."""
    request = context.get("request")
    if request is None or not is_offline_user(request.user):
        return SafeString("")
    return format_html(
        '<link rel="manifest" href="{}"><link rel="apple-touch-icon" href="{}">',
        reverse("manifest"),
        static("img/app-icon-192.png"),
    )


@register.simple_tag(takes_context=True)
def offline_body(context: template.Context) -> SafeString:
    """The body's attributes that tell the script whose phone this is: a teacher's (with the
    worker to register and the pages to keep), someone else's (nothing is kept), or nobody
    logged in (kept pages are wiped, unsent records wait for their owner)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return SafeString(' data-offline="none"')
    if not is_offline_user(user):
        return SafeString(' data-offline="other"')
    return format_html(
        ' data-offline="teacher" data-offline-owner="{}" data-offline-sw="{}"'
        ' data-offline-pages="{}" data-offline-sent="{}"',
        owner_stamp(user),
        reverse("service_worker"),
        reverse("offline_pages"),
        reverse("offline_sent"),
    )


# As django.utils.html.json_script escapes them: the data cannot close its element.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def offline_words(context: template.Context) -> SafeString:
    """The words the script shows, as a data block (never run), with the response's nonce as
    every script of a page carries it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not is_offline_user(user):
        return SafeString("")  # another role's page only wipes, silently
    words = _words()
    if user is None or not user.is_authenticated:
        # A page seen logged out only tells of the records that wait for their owner.
        words = {key: words[key] for key in ("kept", "delete_all", "confirm_delete_all")}
    data = json.dumps(words, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html(
        '<script id="offline-words" type="application/json" nonce="{}">{}</script>',
        context.get("csp_nonce", ""),
        mark_safe(data),  # noqa: S308 — JSON of our own words, escaped above
    )
