"""The students roster as a spreadsheet (学生名册): import and export with DESIGN's headers."""

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.audit import IMPORT_REASON, tracked_bulk_create, tracked_bulk_update
from aidcase.sheet_resources import sheet_plan
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
    yes_no,
)
from students.models import (
    Category,
    Identification,
    Profile,
    Role,
    School,
    SchoolClass,
    Semester,
    Student,
)
from students.services import one_time_hash, one_time_password
from students.student_resource import (
    CATEGORY_NAMES,
    CATEGORY_SHEET_NAMES,
    COLUMNS,
    GENDER_NAMES,
    SOURCE_NAMES,
    StudentResource,
    categories,
)

# Import the Resource's names from here too: pairing's sheet reads the category names.
__all__ = [
    "CATEGORY_NAMES",
    "CATEGORY_SHEET_NAMES",
    "GENDER_NAMES",
    "SOURCE_NAMES",
    "StudentsSheet",
    "TeachersSheet",
    "categories",
]


def _text(length: int) -> Any:
    return lambda value: text(value, max_length=length)


class StudentsSheet:
    kind = "students"
    title = gettext_lazy("学生名册")
    notes = gettext_lazy(
        "每行一名学生，包括不属于帮扶对象的学生（年级平均分需要全部学生的成绩）。"
        "类别为空表示不是帮扶对象；类别按导入所选学期认定（默认为当前学期）。"
    )
    columns = COLUMNS

    def plan(self, parsed: Rows, *, school: School, semester: Semester | None, by: Any) -> Plan:
        """The Resource's dry run as the preview; `apply` is its real run (`sheet_plan`)."""
        resource = StudentResource(school=school, semester=semester, by=by, rows=parsed)
        return sheet_plan(self.kind, resource)

    def export_rows(
        self, *, students: Iterable[Student], semester: Semester | None
    ) -> Iterable[list[Any]]:
        """Rows for the students given (already scoped by the caller), categories of the
        semester; the same headers as the import, so that export → import changes nothing."""
        categories_of: dict[int, list[str]] = {}
        sources: dict[int, str] = {}
        if semester is not None:
            for student_id, category, source in Identification.objects.filter(
                semester=semester, state=Identification.State.APPROVED
            ).values_list("student_id", "category", "source"):
                categories_of.setdefault(student_id, []).append(category)
                sources[student_id] = source
        source_names: dict[str, str] = {code: name for name, code in SOURCE_NAMES.items()}
        gender_names: dict[str, str] = {code: name for name, code in GENDER_NAMES.items()}
        for s in students:
            cats = sorted(categories_of.get(s.pk, []), key=list(Category.values).index)
            yield [
                s.student_no,
                s.name,
                gender_names[s.gender],
                s.birth_date,
                s.cohort.entry_year,
                s.school_class.name if s.school_class else "",
                s.id_number,
                "",
                "、".join(CATEGORY_SHEET_NAMES[Category(c)] for c in cats),
                source_names[sources[s.pk]] if s.pk in sources else "",
                s.guardian_name,
                s.guardian_relation,
                s.guardian_phone,
                s.address,
                s.parents_workplace,
                "是" if s.boarding else "否",
            ]


CLASS_IN_COHORT_RE = re.compile(r"^(\d{4})\s*级\s*(.+)$")


def _class_label(school_class: SchoolClass, *, ambiguous: set[str]) -> str:
    """A class's name, with its cohort in front when another cohort has a class of that name."""
    if school_class.name in ambiguous:
        return f"{school_class.cohort.entry_year}级{school_class.name}"
    return school_class.name


# The teacher's profile fields, in the order of DESIGN's headers; (header, Profile field).
TEACHER_FIELD_COLUMNS = (("姓名", "name"), ("手机号", "phone"), ("任教学科", "subjects"))


class TeachersSheet:
    kind = "teachers"
    title = gettext_lazy("教师名单")
    notes = gettext_lazy(
        "每行一名教师，工号即登录账号。新教师获得一次性密码（导入后只提供一次），"
        "首次登录时必须修改。已有教师按工号更新姓名、手机号和任教学科，密码不变。"
        "“是否班主任”填“是”时，“班级”填所带班级的名称；填“否”会取消其班主任身份；"
        "留空则不改变。"
    )
    columns = (
        Column(
            "工号", "staff_number", True, code, gettext_lazy("教师的工号，即登录账号，全县唯一")
        ),
        Column("姓名", "name", True, person_name),
        Column("手机号", "phone", False, _text(20)),
        Column("任教学科", "subjects", False, _text(100), gettext_lazy("如 语文、数学")),
        Column("是否班主任", "homeroom", False, yes_no, gettext_lazy("是 或 否")),
        Column(
            "班级",
            "class_name",
            False,
            _text(40),
            gettext_lazy(
                "班主任所带班级的名称，如 七年级(1)班；不同年级有同名班级时写明年级，"
                "如 2024级七年级(1)班"
            ),
        ),
    )

    def plan(self, parsed: Rows, *, school: School, semester: Semester | None, by: Any) -> Plan:
        plan = Plan(kind=self.kind, errors=list(parsed.errors))
        errors = plan.errors
        read = parsed.records
        if parsed.missing:
            return plan
        present = set(parsed.headers)
        # Usernames are unique regardless of case (staff_create), so 工号 are compared so too.
        duplicate_keys(
            ((n, r["staff_number"].lower()) for n, r, _ok in read if r.get("staff_number")),
            column="工号",
            errors=errors,
        )
        rows = [(n, r) for n, r, ok in read if ok]

        staff = {
            p.user.username.lower(): p
            for p in Profile.objects.filter(school=school).select_related("user")
        }
        unknown = {r["staff_number"].lower() for _n, r in rows} - set(staff)
        taken = set(
            get_user_model()
            .objects.annotate(lowered=Lower("username"))
            .filter(lowered__in=unknown)
            .values_list("lowered", flat=True)
        )
        classes = list(SchoolClass.objects.filter(school=school).select_related("cohort"))
        by_name: dict[str, list[SchoolClass]] = {}
        for school_class in classes:
            by_name.setdefault(school_class.name, []).append(school_class)
        headed: dict[int, list[SchoolClass]] = {}
        for school_class in classes:
            if school_class.homeroom_teacher_id:
                headed.setdefault(school_class.homeroom_teacher_id, []).append(school_class)

        assignments: dict[int, SchoolClass] = {}  # row → the class it makes the row's teacher head
        claimed: dict[int, int] = {}  # class → the row that claims it
        for number, row in rows:
            key = row["staff_number"].lower()
            profile = staff.get(key)
            if profile is None and key in taken:
                errors.append(RowError(number, "工号", _("该工号已被其他学校使用")))
            elif profile is not None and profile.role != Role.TEACHER:
                errors.append(
                    RowError(number, "工号", _("该工号已是本校资助办或校长的账号，不能用作教师"))
                )
            homeroom = self._homeroom(row)
            class_name = row.get("class_name")
            if homeroom and not class_name:
                errors.append(RowError(number, "班级", _("班主任须填写所带班级")))
            elif homeroom is False and class_name:
                errors.append(RowError(number, "班级", _("“是否班主任”为“否”时，班级应留空")))
            elif homeroom and class_name:
                found, problem = self._find_class(class_name, by_name)
                if found is None:
                    errors.append(RowError(number, "班级", problem))
                elif found.pk in claimed:
                    errors.append(
                        RowError(
                            number,
                            "班级",
                            _("与第 %(row)s 行是同一个班级：一个班级只有一位班主任")
                            % {"row": claimed[found.pk]},
                        )
                    )
                else:
                    claimed[found.pk] = number
                    assignments[number] = found

        for number, row in rows:
            profile = staff.get(row["staff_number"].lower())
            if profile is None:
                plan.changes.append(RowChange(number, row["staff_number"], "new"))
                continue
            changed = [
                header
                for header, attr in TEACHER_FIELD_COLUMNS
                if header in present and getattr(profile, attr) != (row.get(attr) or "")
            ]
            heads = headed.get(profile.user_id, [])
            homeroom = self._homeroom(row)
            if homeroom is not None and homeroom != bool(heads):
                changed.append("是否班主任")
            if number in assignments and assignments[number] not in heads:
                changed.append("班级")
            plan.changes.append(
                RowChange(
                    number, profile.user.username, "changed" if changed else "unchanged", changed
                )
            )

        if errors:
            plan.changes = []
            return plan

        def apply() -> dict[str, Any]:
            return self._apply(
                school=school,
                rows=rows,
                present=present,
                staff=staff,
                classes=classes,
                assignments=assignments,
                changed_rows=plan.count("changed"),
                by=by,
            )

        plan.apply = apply
        return plan

    @staticmethod
    def _homeroom(row: dict[str, Any]) -> bool | None:
        """Whether the row makes its teacher a homeroom teacher: 是否班主任 when it is filled
        in, otherwise a class named means yes, and nothing means leave it as it is."""
        if row.get("homeroom") is not None:
            return bool(row["homeroom"])
        return True if row.get("class_name") else None

    @staticmethod
    def _find_class(
        name: str, by_name: dict[str, list[SchoolClass]]
    ) -> tuple[SchoolClass | None, str]:
        found = by_name.get(name, [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            years = sorted(c.cohort.entry_year for c in found)
            return None, _("本校有多个年级都有班级“%(name)s”，请写明年级，如“%(example)s”") % {
                "name": name,
                "example": f"{years[-1]}级{name}",
            }
        match = CLASS_IN_COHORT_RE.match(name)
        if match:
            year, short = int(match[1]), match[2].strip()
            for school_class in by_name.get(short, []):
                if school_class.cohort.entry_year == year:
                    return school_class, ""
        return None, _("本校没有班级“%(name)s”，请先在班级管理或学生名册中建立") % {"name": name}

    @transaction.atomic
    def _apply(
        self,
        *,
        school: School,
        rows: list[tuple[int, dict[str, Any]]],
        present: set[str],
        staff: dict[str, Profile],
        classes: list[SchoolClass],
        assignments: dict[int, SchoolClass],
        changed_rows: int,
        by: Any,
    ) -> dict[str, Any]:
        user_model = get_user_model()
        now = timezone.now()
        passwords: list[tuple[str, str, str]] = []
        users: dict[int, Any] = {}  # row → its user
        new_users = []
        new_profiles = []
        changed: list[Profile] = []
        for number, row in rows:
            profile = staff.get(row["staff_number"].lower())
            if profile is None:
                password = one_time_password()
                passwords.append((row["staff_number"], row["name"], password))
                user = user_model(
                    username=row["staff_number"], password=one_time_hash(password), date_joined=now
                )
                new_users.append(user)
                new_profiles.append(
                    Profile(
                        user=user,
                        role=Role.TEACHER,
                        school=school,
                        name=row["name"],
                        phone=row.get("phone") or "",
                        subjects=row.get("subjects") or "",
                        must_change_password=True,
                    )
                )
                users[number] = user
                continue
            users[number] = profile.user
            values = {
                attr: row.get(attr) or ""
                for header, attr in TEACHER_FIELD_COLUMNS
                if header in present
            }
            if any(getattr(profile, attr) != value for attr, value in values.items()):
                for attr, value in values.items():
                    setattr(profile, attr, value)
                changed.append(profile)
        user_model.objects.bulk_create(new_users, batch_size=500)
        tracked_bulk_create(Profile, new_profiles, by=by, reason=IMPORT_REASON, batch_size=500)
        tracked_bulk_update(
            Profile,
            changed,
            ["name", "phone", "subjects"],
            by=by,
            reason=IMPORT_REASON,
            batch_size=500,
        )

        # Leaving homeroom duty first, then taking up classes: a class given up by one row
        # and taken by another ends with the one who takes it.
        heads = {c.pk: c.homeroom_teacher_id for c in classes}
        for number, row in rows:
            if self._homeroom(row) is False:
                for pk, teacher_id in heads.items():
                    if teacher_id == users[number].pk:
                        heads[pk] = None
        for number, school_class in assignments.items():
            heads[school_class.pk] = users[number].pk
        moved = [c for c in classes if heads[c.pk] != c.homeroom_teacher_id]
        for school_class in moved:
            school_class.homeroom_teacher_id = heads[school_class.pk]
        if moved:
            SchoolClass.objects.bulk_update(moved, ["homeroom_teacher"], batch_size=500)
        return {
            "new": len(new_users),
            "changed": changed_rows,
            "passwords": passwords,
        }

    def export_rows(self, *, school: School) -> Iterable[list[Any]]:
        """One row per teacher account of the school, with the first class they head (a class
        name shared by two cohorts is written with its cohort, as the import asks for)."""
        classes = list(SchoolClass.objects.filter(school=school).select_related("cohort"))
        names = [c.name for c in classes]
        ambiguous = {name for name in names if names.count(name) > 1}
        first_class: dict[int, SchoolClass] = {}
        for school_class in classes:  # in the default order: the youngest cohort first
            if school_class.homeroom_teacher_id:
                first_class.setdefault(school_class.homeroom_teacher_id, school_class)
        teachers = (
            Profile.objects.filter(school=school, role=Role.TEACHER)
            .select_related("user")
            .order_by("user__username")
        )
        for profile in teachers:
            heads = first_class.get(profile.user_id)
            yield [
                profile.user.username,
                profile.name,
                profile.phone,
                profile.subjects,
                "是" if heads else "否",  # the sheet's language, whatever the page's
                _class_label(heads, ambiguous=ambiguous) if heads else "",
            ]
