"""The county's list of schools as a spreadsheet (学校名单): each school with its aid-office and
principal accounts. Imported from the command line for one county (`import_xlsx schools`) and
from the county administrator's page, through `SchoolResource` on django-import-export.

There is no admin import for this kind: the accounts' one-time passwords are shown once, to
whoever imports the sheet (the command's table, the county page's download), and the admin
has no such place.
"""

from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from aidcase.sheet_resources import CellWidget, SheetResource, sheet_plan
from aidcase.spreadsheets import (
    Column,
    Plan,
    RowError,
    Rows,
    code,
    duplicate_keys,
    person_name,
    text,
)
from students.models import County, School
from students.services import school_account_usernames, school_accounts_create

CODE = CellWidget(code)
NAME = CellWidget(partial(text, max_length=100), blank="")
TOWN = CellWidget(partial(text, max_length=50), blank="")
STAGE = CellWidget(partial(text, max_length=30), blank="")
PRINCIPAL_NAME = CellWidget(person_name, blank="")
OFFICE_NAME = CellWidget(person_name, blank="")

COLUMNS = (
    Column(
        "学校代码", "code", True, CODE.clean, gettext_lazy("字母、数字、下划线或连字符，最多 22 位")
    ),
    Column("学校名称", "name", True, NAME.clean),
    Column("乡镇", "town", False, TOWN.clean),
    Column("学段", "stage", False, STAGE.clean, gettext_lazy("如 初中、小学、九年一贯制")),
    Column(
        "校长姓名", "principal_name", False, PRINCIPAL_NAME.clean, gettext_lazy("校长账号的姓名")
    ),
    Column(
        "资助办负责人", "office_name", False, OFFICE_NAME.clean, gettext_lazy("资助办账号的姓名")
    ),
)


class SchoolResource(SheetResource):
    """The schools of the county named `county_name` (made by a real run when it is new),
    found by 学校代码; new ones get their two accounts after they are saved, the history
    naming `by`. A code held by a school of another county (or of none) is refused, and a
    new school's accounts must be free. Not registered in the admin (see the module)."""

    columns = COLUMNS
    key = "学校代码"
    # The school's own fields the sheet sets; 乡镇 and 学段 are optional: a column that is
    # absent leaves its field alone.
    compared = (("学校名称", "name"), ("乡镇", "town"), ("学段", "stage"))

    code = Field(attribute="code", column_name="学校代码", widget=CODE)
    name = Field(attribute="name", column_name="学校名称", widget=NAME)
    town = Field(attribute="town", column_name="乡镇", widget=TOWN)
    stage = Field(attribute="stage", column_name="学段", widget=STAGE)
    # The accounts' names, used in `after_save`.
    principal_name = Field(column_name="校长姓名", widget=PRINCIPAL_NAME)
    office_name = Field(column_name="资助办负责人", widget=OFFICE_NAME)

    class Meta:
        model = School
        fields = ("code", "name", "town", "stage", "principal_name", "office_name")
        import_id_fields = ("code",)

    def __init__(self, *, county_name: str = "", by: Any = None, rows: Rows | None = None):
        super().__init__(by=by, rows=rows)
        self.county_name = county_name.strip()
        self.county: County | None = None
        self.names: dict[str, tuple[Any, Any]] = {}  # code → office's, principal's name
        self.passwords: list[tuple[str, str, str]] = []

    def load(self) -> None:
        assert self.rows is not None  # noqa: S101 — before_import reads them first
        errors = self.errors
        try:
            County(name=self.county_name).clean_fields()
        except ValidationError as error:
            problem = _("县（区）名称：%(error)s") % {"error": "；".join(error.messages)}
            errors.append(RowError(1, "", problem))
            return
        self.county = County.objects.filter(name=self.county_name).first()
        if self.county is None:
            self.creates.append(_("县（区）：%(name)s") % {"name": self.county_name})
        read = self.rows.records
        duplicate_keys(
            ((n, r["code"].lower()) for n, r, _ok in read if r.get("code")),
            column="学校代码",
            errors=errors,
        )
        rows = [(n, r) for n, r, ok in read if ok]
        self.existing = {
            s.code: s
            for s in School.objects.filter(code__in=[r["code"] for _n, r in rows]).select_related(
                "county"
            )
        }
        problems = _account_problems(
            [r["code"] for _n, r in rows if r["code"] not in self.existing]
        )
        county_id = self.county.pk if self.county is not None else None
        for number, row in rows:
            school = self.existing.get(row["code"])
            if school is None:
                errors.extend(
                    RowError(number, "学校代码", p) for p in problems.get(row["code"], [])
                )
            elif county_id is None or school.county_id != county_id:
                errors.append(RowError(number, "学校代码", _elsewhere(school)))
        self.names = {r["code"]: (r.get("office_name"), r.get("principal_name")) for _n, r in rows}

    def prepare(self) -> None:
        if self.county is None:
            county = County(name=self.county_name)
            county.full_clean()
            county.save()
            self.county = county

    def init_instance(self, row: Any = None) -> School:
        return School(county=self.county)

    def after_save(self) -> None:
        for school in self.created:
            office_name, principal_name = self.names[school.code]
            self.passwords += school_accounts_create(
                school=school,
                office_name=office_name or "",
                principal_name=principal_name or "",
                by=self.by,
            )

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "passwords": self.passwords}


def _elsewhere(school: School) -> str:
    """A code held outside the county: the school is not named, as the county administrator
    sees only their own county's schools."""
    if school.county is None:
        return _("该学校代码已被未归属县（区）的学校使用，请核对代码")
    return _("该学校代码已被其他县（区）的学校使用，请核对代码")


def _account_problems(codes: list[str]) -> dict[str, list[str]]:
    """`students.services.school_account_problems` for every new school, in one query: by
    code, why its two accounts cannot be made (a name too long, or taken in any case)."""
    usernames = {c: [u for u, _role in school_account_usernames(code=c)] for c in codes}
    too_long = _("学校代码最多 22 位才能建立账号（principal-学校代码 不能超过 32 位）")
    problems = {c: [too_long] for c, names in usernames.items() if max(map(len, names)) > 32}
    owners: dict[str, list[str]] = {}
    for c, names in usernames.items():
        for name in names if c not in problems else ():
            owners.setdefault(name.lower(), []).append(c)
    taken = (
        get_user_model()
        .objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=list(owners))
        .values_list("username", flat=True)
    )
    for username in sorted(taken):
        for c in owners[username.lower()]:
            problems.setdefault(c, []).append(
                _("账号 %(username)s 已存在") % {"username": username}
            )
    return problems


class SchoolsSheet:
    kind = "schools"
    title = gettext_lazy("学校名单")
    notes = gettext_lazy(
        "每行一所学校，学校代码全县唯一。新学校同时建立资助办账号 office-学校代码 和校长账号 "
        "principal-学校代码，一次性密码导入后只显示一次，首次登录时必须修改。"
        "已有学校按学校代码更新名称、乡镇和学段，账号不变。"
    )
    columns = COLUMNS

    def plan(self, parsed: Rows, *, county_name: str, by: Any) -> Plan:
        """The Resource's dry run as the preview; `apply` is its real run (`sheet_plan`)."""
        return sheet_plan(self.kind, SchoolResource(county_name=county_name, by=by, rows=parsed))
