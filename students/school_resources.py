"""The county's list of schools as a spreadsheet (学校名单): each school with its aid-office and
principal accounts. Imported from the command line for one county (`import_xlsx schools`)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.spreadsheets import (
    Column,
    Plan,
    RowChange,
    RowError,
    Rows,
    code,
    duplicate_keys,
    person_name,
    text,
)
from students.models import County, School
from students.services import school_account_problems, school_accounts_create

# The school's own fields the sheet sets; (header, model field). 乡镇 and 学段 are optional:
# a column that is absent leaves its field alone.
SCHOOL_FIELD_COLUMNS = (("学校名称", "name"), ("乡镇", "town"), ("学段", "stage"))


def _text(length: int) -> Any:
    return lambda value: text(value, max_length=length)


class SchoolsSheet:
    kind = "schools"
    title = gettext_lazy("学校名单")
    notes = gettext_lazy(
        "每行一所学校，学校代码全县唯一。新学校同时建立资助办账号 office-学校代码 和校长账号 "
        "principal-学校代码，一次性密码导入后只显示一次，首次登录时必须修改。"
        "已有学校按学校代码更新名称、乡镇和学段，账号不变。"
    )
    columns = (
        Column(
            "学校代码",
            "code",
            True,
            code,
            gettext_lazy("字母、数字、下划线或连字符，最多 22 位"),
        ),
        Column("学校名称", "name", True, _text(100)),
        Column("乡镇", "town", False, _text(50)),
        Column("学段", "stage", False, _text(30), gettext_lazy("如 初中、小学、九年一贯制")),
        Column("校长姓名", "principal_name", False, person_name, gettext_lazy("校长账号的姓名")),
        Column("资助办负责人", "office_name", False, person_name, gettext_lazy("资助办账号的姓名")),
    )

    def plan(self, parsed: Rows, *, county_name: str, by: Any) -> Plan:
        """Checks every row against the schools as they are: a code held by a school of
        another county (or of none) is refused; a new school's accounts must be free."""
        plan = Plan(kind=self.kind, errors=list(parsed.errors))
        errors = plan.errors
        read = parsed.records
        if parsed.missing:
            return plan
        county_name = county_name.strip()
        try:
            County(name=county_name).clean_fields()
        except ValidationError as error:
            errors.append(
                RowError(1, "", _("县（区）名称：%(error)s") % {"error": "；".join(error.messages)})
            )
            return plan
        county = County.objects.filter(name=county_name).first()
        if county is None:
            plan.creates.append(_("县（区）：%(name)s") % {"name": county_name})
        present = set(parsed.headers)
        duplicate_keys(
            ((n, r["code"].lower()) for n, r, _ok in read if r.get("code")),
            column="学校代码",
            errors=errors,
        )
        rows = [(n, r) for n, r, ok in read if ok]
        existing = {
            s.code: s
            for s in School.objects.filter(code__in=[r["code"] for _n, r in rows]).select_related(
                "county"
            )
        }

        for number, row in rows:
            school = existing.get(row["code"])
            if school is None:
                errors.extend(
                    RowError(number, "学校代码", problem)
                    for problem in school_account_problems(code=row["code"])
                )
                plan.changes.append(RowChange(number, row["code"], "new"))
                continue
            if county is None or school.county_id != county.pk:
                errors.append(RowError(number, "学校代码", self._elsewhere(school)))
                continue
            changed = [
                header
                for header, attr in SCHOOL_FIELD_COLUMNS
                if header in present and getattr(school, attr) != (row.get(attr) or "")
            ]
            plan.changes.append(
                RowChange(number, school.code, "changed" if changed else "unchanged", changed)
            )

        if errors:
            plan.changes = []
            plan.creates = []
            return plan

        def apply() -> dict[str, Any]:
            return self._apply(
                county=county,
                county_name=county_name,
                rows=rows,
                present=present,
                existing=existing,
                changes=plan.changes,
                by=by,
            )

        plan.apply = apply
        return plan

    @staticmethod
    def _elsewhere(school: School) -> str:
        """A code held outside the county: the school is not named, as the county
        administrator sees only their own county's schools."""
        if school.county is None:
            return _("该学校代码已被未归属县（区）的学校使用，请核对代码")
        return _("该学校代码已被其他县（区）的学校使用，请核对代码")

    @staticmethod
    @transaction.atomic
    def _apply(
        *,
        county: County | None,
        county_name: str,
        rows: list[tuple[int, dict[str, Any]]],
        present: set[str],
        existing: dict[str, School],
        changes: list[RowChange],
        by: Any,
    ) -> dict[str, Any]:
        if county is None:
            county = County(name=county_name)
            county.full_clean()
            county.save()
        actions = {change.row: change.action for change in changes}
        passwords: list[tuple[str, str, str]] = []
        for number, row in rows:
            values = {
                attr: row.get(attr) or ""
                for header, attr in SCHOOL_FIELD_COLUMNS
                if header in present
            }
            if actions[number] == "new":
                school = School(code=row["code"], county=county, **values)
                school.full_clean()
                school.save()
                passwords.extend(
                    school_accounts_create(
                        school=school,
                        office_name=row.get("office_name") or "",
                        principal_name=row.get("principal_name") or "",
                        by=by,
                    )
                )
            elif actions[number] == "changed":
                school = existing[row["code"]]
                for attr, value in values.items():
                    setattr(school, attr, value)
                school.full_clean()
                school.save()
        return {
            "new": sum(1 for a in actions.values() if a == "new"),
            "changed": sum(1 for a in actions.values() if a == "changed"),
            "passwords": passwords,
        }
