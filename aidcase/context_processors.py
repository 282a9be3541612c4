from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aidcase.permissions import profile_of
from aidcase.roles import Role

# (url name, label, icon) per role. The phone's bottom bar holds five: with more, the first
# four and a 更多 menu of the rest.
BOTTOM_BAR = 5
NAVIGATION: dict[str, list[tuple[str, Any, str]]] = {
    Role.TEACHER: [
        ("me", _("我的学生"), "home"),
        ("student_list", _("学生"), "list"),
        ("sheet_list", _("我的考核"), "check"),
        ("ledger_home", _("台账"), "list"),
    ],
    Role.OFFICE: [
        ("dashboard", _("概况"), "home"),
        ("student_list", _("学生"), "list"),
        ("pairing_list", _("结对"), "link"),
        ("identification_list", _("认定"), "check"),
        ("sheet_list", _("考核"), "check"),
        ("semester_list", _("学期"), "calendar"),
        ("class_list", _("班级"), "grid"),
        ("staff_list", _("教师"), "user"),
        ("school_calendar", _("校历"), "calendar"),
        ("duty_rules", _("规则"), "check"),
        ("import_home", _("导入导出"), "list"),
        ("ledger_home", _("台账"), "list"),
        ("audit_home", _("审计"), "list"),
        ("me", _("我的结对"), "user"),
    ],
    Role.PRINCIPAL: [
        ("dashboard", _("概况"), "home"),
        ("student_list", _("学生"), "list"),
        ("sheet_list", _("考核"), "check"),
        ("pairing_list", _("结对"), "link"),
        ("ledger_home", _("台账"), "list"),
        ("audit_home", _("审计"), "list"),
        ("me", _("我的结对"), "user"),
    ],
    Role.COUNTY: [("county", _("全县概况"), "home")],
    Role.COUNTY_ADMIN: [
        ("county", _("全县概况"), "home"),
        ("county_schools", _("学校与账号"), "user"),
    ],
}


# The wide screen's menu: the same pages, the office's fourteen in six places (a name alone is
# a link; a group opens a list). Every page of NAVIGATION is in it once.
STUDENTS, PAIRINGS, SETUP, DATA = _("学生"), _("结对"), _("学校设置"), _("数据")
DESKTOP: dict[str, list[str | tuple[Any, list[str]]]] = {
    Role.OFFICE: [
        "dashboard",
        (STUDENTS, ["student_list", "identification_list", "class_list"]),
        (PAIRINGS, ["pairing_list", "me"]),
        "sheet_list",
        (SETUP, ["semester_list", "school_calendar", "duty_rules", "staff_list"]),
        (DATA, ["import_home", "ledger_home", "audit_home"]),
    ],
    Role.PRINCIPAL: [
        "dashboard",
        "student_list",
        (PAIRINGS, ["pairing_list", "me"]),
        "sheet_list",
        (DATA, ["ledger_home", "audit_home"]),
    ],
}


def _desktop(role: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The wide screen's menu of `items` (NAVIGATION's, by url name): links and groups."""
    by_name = {item["name"]: item for item in items}
    menu = []
    for entry in DESKTOP.get(role, [item["name"] for item in items]):
        if isinstance(entry, str):
            menu.append(by_name[entry])
        else:
            label, names = entry
            links = [by_name[name] for name in names]
            menu.append(
                {"label": label, "links": links, "active": any(link["active"] for link in links)}
            )
    return menu


def navigation(request: HttpRequest) -> dict[str, Any]:
    profile = profile_of(getattr(request, "user", None))
    if profile is None:
        return {}
    current = request.resolver_match.url_name if request.resolver_match else None
    items = [
        {
            "name": name,
            "url": reverse(name),
            "label": label,
            "icon": icon,
            "active": name == current,
        }
        for name, label, icon in NAVIGATION[profile.role]
    ]
    fits = len(items) <= BOTTOM_BAR
    return {
        "nav_items": items,
        "nav_desktop": _desktop(profile.role, items),
        "nav_bar": items if fits else items[: BOTTOM_BAR - 1],
        "nav_more": [] if fits else items[BOTTOM_BAR - 1 :],
        "profile": profile,
    }
