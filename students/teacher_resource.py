"""The teachers list (教师名单) as a django-import-export Resource: the school's import (through
`students.resources.TeachersSheet`) reads, diffs and saves teachers' profiles, with their
accounts and homeroom classes, through `TeacherResource`.

No admin imports it: new teachers' accounts get one-time passwords, which only the sheet's
import hands out, once (the upload page's download, the command's table).
"""

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from aidcase.sheet_resources import CellWidget, SheetResource
from aidcase.spreadsheets import (
    Column,
    RowError,
    Rows,
    code,
    duplicate_keys,
    person_name,
    text,
    yes_no,
)
from students.models import Profile, Role, School, SchoolClass
from students.services import one_time_hash, one_time_password

CLASS_IN_COHORT_RE = re.compile(r"^(\d{4})\s*级\s*(.+)$")

STAFF_NUMBER = CellWidget(code)
NAME = CellWidget(person_name, blank="")
PHONE = CellWidget(lambda value: text(value, max_length=20), blank="")
SUBJECTS = CellWidget(lambda value: text(value, max_length=100), blank="")
HOMEROOM = CellWidget(yes_no)
CLASS_NAME = CellWidget(lambda value: text(value, max_length=40))

COLUMNS = (
    Column(
        "工号",
        "staff_number",
        True,
        STAFF_NUMBER.clean,
        gettext_lazy("教师的工号，即登录账号，全县唯一"),
    ),
    Column("姓名", "name", True, NAME.clean),
    Column("手机号", "phone", False, PHONE.clean),
    Column("任教学科", "subjects", False, SUBJECTS.clean, gettext_lazy("如 语文、数学")),
    Column("是否班主任", "homeroom", False, HOMEROOM.clean, gettext_lazy("是 或 否")),
    Column(
        "班级",
        "class_name",
        False,
        CLASS_NAME.clean,
        gettext_lazy(
            "班主任所带班级的名称，如 七年级(1)班；不同年级有同名班级时写明年级，"
            "如 2024级七年级(1)班"
        ),
    ),
)


def homeroom_of(homeroom: bool | None, class_name: str | None) -> bool | None:
    """Whether a row makes its teacher a homeroom teacher: 是否班主任 when it is filled in,
    otherwise a class named means yes, and nothing means leave it as it is."""
    if homeroom is not None:
        return bool(homeroom)
    return True if class_name else None


def find_class(name: str, by_name: dict[str, list[SchoolClass]]) -> tuple[SchoolClass | None, str]:
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


class TeacherResource(SheetResource):
    """Teachers of one school (`school`), the history naming `by`. A row's teacher is found by
    工号, regardless of case (usernames are unique so, see staff_create).

    A real run creates the new teachers' accounts, each with a one-time password (returned,
    once, by `summary`), then their profiles in bulk with their history (reason
    IMPORT_REASON), updates the changed profiles, and last moves the homeroom classes."""

    columns = COLUMNS
    key = "工号"
    compared = (("姓名", "name"), ("手机号", "phone"), ("任教学科", "subjects"))

    # The account's username; 是否班主任 and 班级 move classes, in `after_save`.
    staff_number = Field(column_name="工号", widget=STAFF_NUMBER)
    name = Field(attribute="name", column_name="姓名", widget=NAME)
    phone = Field(attribute="phone", column_name="手机号", widget=PHONE)
    subjects = Field(attribute="subjects", column_name="任教学科", widget=SUBJECTS)
    homeroom = Field(column_name="是否班主任", widget=HOMEROOM)
    class_name = Field(column_name="班级", widget=CLASS_NAME)

    class Meta:
        model = Profile
        fields = ("staff_number", "name", "phone", "subjects", "homeroom", "class_name")
        import_id_fields = ("staff_number",)

    def __init__(self, *, school: School, by: Any = None, rows: Rows | None = None) -> None:
        super().__init__(by=by, rows=rows)
        self.school = school
        self._scratch: Profile | None = None
        self.passwords: list[tuple[str, str, str]] = []
        # A real run's rows: (profile, whether they head a class, the class they take up).
        self.homerooms: list[tuple[Profile, bool | None, SchoolClass | None]] = []

    def row_key(self, row: Any) -> str:
        return str(row[self.key] or "").lower()

    def change_key(self, record: dict[str, Any]) -> str:
        # A teacher already there is named by their account, whatever the case typed.
        profile = self.existing.get(record["staff_number"].lower())
        return profile.user.username if profile is not None else record["staff_number"]

    def get_queryset(self) -> Any:
        return Profile.objects.filter(school=self.school).select_related("user")

    # Checks, before any row

    def load(self) -> None:
        """Every check across rows and against the records: one query each (the school's
        profiles, the accounts of other 工号, the school's classes)."""
        assert self.rows is not None  # noqa: S101 — before_import reads them first
        read = self.rows.records
        errors = self.errors
        duplicate_keys(
            ((n, r["staff_number"].lower()) for n, r, _ok in read if r.get("staff_number")),
            column="工号",
            errors=errors,
        )
        rows = [(n, r) for n, r, ok in read if ok]
        self.existing = {p.user.username.lower(): p for p in self.get_queryset()}
        unknown = {r["staff_number"].lower() for _n, r in rows} - set(self.existing)
        taken = set(
            get_user_model()
            .objects.annotate(lowered=Lower("username"))
            .filter(lowered__in=unknown)
            .values_list("lowered", flat=True)
        )
        self.classes = list(SchoolClass.objects.filter(school=self.school).select_related("cohort"))
        by_name: dict[str, list[SchoolClass]] = {}
        self.headed: dict[int, list[SchoolClass]] = {}  # user → the classes they head
        for school_class in self.classes:
            by_name.setdefault(school_class.name, []).append(school_class)
            if school_class.homeroom_teacher_id:
                self.headed.setdefault(school_class.homeroom_teacher_id, []).append(school_class)

        self.assignments: dict[str, SchoolClass] = {}  # 工号 → the class the row gives them
        claimed: dict[int, int] = {}  # class → the row that claims it
        for number, row in rows:
            key = row["staff_number"].lower()
            profile = self.existing.get(key)
            if profile is None and key in taken:
                errors.append(RowError(number, "工号", _("该工号已被其他学校使用")))
            elif profile is not None and profile.role != Role.TEACHER:
                errors.append(
                    RowError(number, "工号", _("该工号已是本校资助办或校长的账号，不能用作教师"))
                )
            homeroom = homeroom_of(row.get("homeroom"), row.get("class_name"))
            class_name = row.get("class_name")
            if homeroom and not class_name:
                errors.append(RowError(number, "班级", _("班主任须填写所带班级")))
            elif homeroom is False and class_name:
                errors.append(RowError(number, "班级", _("“是否班主任”为“否”时，班级应留空")))
            elif homeroom and class_name:
                found, problem = find_class(class_name, by_name)
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
                    self.assignments[key] = found

    def prepare(self) -> None:
        self.passwords, self.homerooms = [], []

    # Each row

    def init_instance(self, row: Any = None) -> Profile:
        if not self.writes:
            # A run that saves no new teacher (a dry one, or one with a bad row): one scratch
            # profile serves every new row.
            if self._scratch is None:
                self._scratch = Profile(role=Role.TEACHER, school=self.school)
            return self._scratch
        user = get_user_model()(username=row[self.key], date_joined=self.now)
        return Profile(user=user, role=Role.TEACHER, school=self.school, must_change_password=True)

    def also_changed(self, instance: Profile, row: Any) -> list[str]:
        heads = self.headed.get(instance.user_id, [])
        changed = []
        homeroom = homeroom_of(row.get("是否班主任"), row.get("班级"))
        if homeroom is not None and homeroom != bool(heads):
            changed.append("是否班主任")
        school_class = self.assignments.get(self.row_key(row))
        if school_class is not None and school_class not in heads:
            changed.append("班级")
        return changed

    def save_instance(self, instance: Profile, is_create: bool, row: Any, **kwargs: Any) -> None:
        if self.writes:
            if is_create:
                password = one_time_password()
                instance.user.password = one_time_hash(password)
                self.passwords.append((instance.user.username, instance.name, password))
            homeroom = homeroom_of(row.get("是否班主任"), row.get("班级"))
            self.homerooms.append((instance, homeroom, self.assignments.get(self.row_key(row))))
        super().save_instance(instance, is_create, row, **kwargs)

    # Writes: once, after every row has passed

    def bulk_create(self, *args: Any, **kwargs: Any) -> None:
        if self.writes and self.create_instances:
            users = [p.user for p in self.create_instances]
            get_user_model().objects.bulk_create(users, batch_size=500)
            for profile in self.create_instances:
                profile.user_id = profile.user.pk
        super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args: Any, **kwargs: Any) -> None:
        # Only a profile whose own fields change is saved (and gets a history row): a row
        # that only moves a homeroom class changes the class.
        rows = list(self.update_instances)
        self.update_instances[:] = [
            p
            for p in rows
            if any(
                getattr(p, attr) != old
                for (_header, attr), old in zip(self.compared, self.before[id(p)], strict=True)
            )
        ]
        super().bulk_update(*args, **kwargs)
        # The library calls it again once the base has written, with nothing left.
        if rows and self.writes:
            self.updated = rows

    def after_save(self) -> None:
        """Leaving homeroom duty first, then taking up classes: a class given up by one row
        and taken by another ends with the one who takes it."""
        heads = {c.pk: c.homeroom_teacher_id for c in self.classes}
        for profile, homeroom, _class in self.homerooms:
            if homeroom is False:
                for pk, teacher_id in heads.items():
                    if teacher_id == profile.user_id:
                        heads[pk] = None
        for profile, _homeroom, school_class in self.homerooms:
            if school_class is not None:
                heads[school_class.pk] = profile.user_id
        moved = [c for c in self.classes if heads[c.pk] != c.homeroom_teacher_id]
        for school_class in moved:
            school_class.homeroom_teacher_id = heads[school_class.pk]
        if moved:
            SchoolClass.objects.bulk_update(moved, ["homeroom_teacher"], batch_size=500)

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "passwords": self.passwords}
