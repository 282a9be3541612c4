"""The students roster (学生名册) as a django-import-export Resource: the school's import
(through `students.resources.StudentsSheet`) and the superuser's admin both read, diff and
save students through `StudentResource`.

Cells are parsed once, by the widgets' `clean()` (each wraps one of `aidcase.spreadsheets`'
parsers), when the rows are read: `aidcase.spreadsheets.records` finds the headers (title
rows, synonyms, several sheets) and calls the columns' parsers, which are these widgets. The
Resource then works on parsed values (`cells_parsed`), checks the rows against each other and
against the database in `before_import`, diffs each row against the stored student in
`skip_row`, and writes in bulk through the audited helpers, all or nothing.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from aidcase.audit import IMPORT_REASON, tracked_bulk_create, tracked_bulk_update
from aidcase.sheet_resources import CellWidget, SheetResource, placeholder_ids, unsaved_copy
from aidcase.spreadsheets import (
    CellError,
    Column,
    RowError,
    Rows,
    choice,
    code,
    date,
    duplicate_keys,
    id_number,
    integer,
    nfkc,
    person_name,
    text,
    yes_no,
)
from students import idcard
from students.models import (
    Category,
    Cohort,
    Identification,
    School,
    SchoolClass,
    Semester,
    Student,
)
from students.selectors import current_semester, semester_code_for
from students.services import semester_create

# The names schools write in their sheets (DESIGN "Category names accepted in sheets").
CATEGORY_NAMES = {
    "留守": Category.LEFT_BEHIND,
    "留守学生": Category.LEFT_BEHIND,
    "贫困": Category.POOR,
    "家庭经济困难": Category.POOR,
    "家庭经济困难学生": Category.POOR,
    "建档立卡": Category.POOR,
    "学困": Category.STRUGGLING,
    "学习困难": Category.STRUGGLING,
    "学习困难学生": Category.STRUGGLING,
    "问题": Category.PROBLEM,
    "问题学生": Category.PROBLEM,
}
# Sheets are Chinese whatever the page's language, so that an export always re-imports.
SOURCE_NAMES = {
    "建档立卡": Identification.Source.REGISTERED_POOR,
    "民政低保": Identification.Source.SUBSISTENCE,
    "学校认定": Identification.Source.SCHOOL,
    "其他": Identification.Source.OTHER,
}
GENDER_NAMES = {"男": Student.Gender.MALE, "女": Student.Gender.FEMALE}
CATEGORY_SHEET_NAMES = {
    Category.LEFT_BEHIND: "留守",
    Category.POOR: "贫困",
    Category.STRUGGLING: "学困",
    Category.PROBLEM: "问题",
}
CATEGORY_SEPARATORS = ("、", ",", "，", ";", "；", "/", " ")


def categories(value: Any) -> list[str]:
    """One or several categories joined by 、 (commas and spaces are forgiven)."""
    raw = str(value)
    for separator in CATEGORY_SEPARATORS[1:]:
        raw = raw.replace(separator, CATEGORY_SEPARATORS[0])
    found: list[str] = []
    for name in filter(None, (part.strip() for part in raw.split(CATEGORY_SEPARATORS[0]))):
        if name not in CATEGORY_NAMES:
            raise CellError(
                _("无法识别的类别“%(name)s”，可填：留守、贫困、学困、问题") % {"name": name}
            )
        if CATEGORY_NAMES[name] not in found:
            found.append(CATEGORY_NAMES[name])
    return found


def _text(length: int) -> Callable[[Any], str]:
    return lambda value: text(value, max_length=length)


def _entry_year(value: Any) -> int:
    return integer(value, low=1990, high=2100)


def _class_name(value: Any) -> str:
    """A class is found by its name: 七年级（１）班 typed with full-width digits and brackets
    is 七年级(1)班 (NFKC, as keys are)."""
    return text(nfkc(value), max_length=40)


# Widgets

_GENDER_SHOWN: dict[str, str] = {str(code): name for name, code in GENDER_NAMES.items()}
_SOURCE_SHOWN: dict[str, str] = {str(code): name for name, code in SOURCE_NAMES.items()}


def _categories_shown(value: Iterable[str]) -> str:
    ordered = sorted(value, key=list(Category.values).index)
    return "、".join(CATEGORY_SHEET_NAMES[Category(c)] for c in ordered)


def _date_shown(value: dt.date) -> str:
    return value.isoformat()


def _yes_no_shown(value: bool) -> str:
    return "是" if value else "否"


STUDENT_NO = CellWidget(code)
NAME = CellWidget(person_name, blank="")
GENDER = CellWidget(choice(GENDER_NAMES, label=gettext_lazy("性别")), show=_GENDER_SHOWN.get)
BIRTH_DATE = CellWidget(date, show=_date_shown)
ENTRY_YEAR = CellWidget(_entry_year)
CLASS_NAME = CellWidget(_class_name)
# Checked once per row in `before_import`, together with the birth date.
ID_NUMBER = CellWidget(id_number, blank="")
GRADE = CellWidget(_text(20))
CATEGORIES = CellWidget(categories, show=_categories_shown)
SOURCE = CellWidget(choice(SOURCE_NAMES, label=gettext_lazy("认定来源")), show=_SOURCE_SHOWN.get)
GUARDIAN_NAME = CellWidget(person_name, blank="")
GUARDIAN_RELATION = CellWidget(_text(20), blank="")
GUARDIAN_PHONE = CellWidget(_text(20), blank="")
ADDRESS = CellWidget(_text(200), blank="")
PARENTS_WORKPLACE = CellWidget(_text(100), blank="")
BOARDING = CellWidget(yes_no, blank=False, show=_yes_no_shown)

# The sheet's columns, in the order of DESIGN's headers; their parsers are the widgets.
COLUMNS = (
    Column("学籍号", "student_no", True, STUDENT_NO.clean, gettext_lazy("学生的学籍号，全县唯一")),
    Column("姓名", "name", True, NAME.clean),
    Column("性别", "gender", True, GENDER.clean, gettext_lazy("男 或 女")),
    Column("出生日期", "birth_date", True, BIRTH_DATE.clean, gettext_lazy("如 2012-03-15")),
    Column(
        "入学年份",
        "entry_year",
        True,
        ENTRY_YEAR.clean,
        gettext_lazy("如 2024，即该生所在的级"),
    ),
    Column("班级", "class_name", True, CLASS_NAME.clean, gettext_lazy("如 七年级(1)班")),
    Column(
        "身份证号",
        "id_number",
        False,
        ID_NUMBER.clean,
        gettext_lazy("18 位，须与出生日期一致；页面上只显示部分号码"),
    ),
    Column("年级", "grade", False, GRADE.clean, gettext_lazy("仅供参考，不导入")),
    Column(
        "类别",
        "categories",
        False,
        CATEGORIES.clean,
        gettext_lazy("留守、贫困、学困、问题，多个用“、”分隔；非帮扶对象留空"),
    ),
    Column(
        "认定来源",
        "source",
        False,
        SOURCE.clean,
        gettext_lazy("建档立卡、民政低保、学校认定 或 其他；留空为学校认定"),
    ),
    Column("监护人", "guardian_name", False, GUARDIAN_NAME.clean),
    Column("监护人关系", "guardian_relation", False, GUARDIAN_RELATION.clean),
    Column("监护人电话", "guardian_phone", False, GUARDIAN_PHONE.clean),
    Column("家庭住址", "address", False, ADDRESS.clean),
    Column("父母务工地", "parents_workplace", False, PARENTS_WORKPLACE.clean),
    Column("是否寄宿", "boarding", False, BOARDING.clean, gettext_lazy("是 或 否")),
)
KEYS = {column.header: column.key for column in COLUMNS}

# The student's own fields, in the order of DESIGN's headers; (header, model field).
FIELD_COLUMNS = (
    ("姓名", "name"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("身份证号", "id_number"),
    ("监护人", "guardian_name"),
    ("监护人关系", "guardian_relation"),
    ("监护人电话", "guardian_phone"),
    ("家庭住址", "address"),
    ("父母务工地", "parents_workplace"),
    ("是否寄宿", "boarding"),
)


class StudentResource(SheetResource):
    """Students of one school (`school`; None only to list the columns), their categories
    identified for `semester` (None: the current one, made for today when the school has
    none), the history naming `by`.

    A dry run reads only. A real run creates the cohorts, classes and semester the rows need,
    the students in bulk with their history (reason IMPORT_REASON), then the
    identifications; it writes nothing at all when any row has a problem."""

    columns = COLUMNS
    key = "学籍号"
    # What `skip_row` compares: the student's own fields, then the cohort and the class.
    compared = (*FIELD_COLUMNS, ("入学年份", "cohort_id"), ("班级", "school_class_id"))

    student_no = Field(attribute="student_no", column_name="学籍号", widget=STUDENT_NO)
    name = Field(attribute="name", column_name="姓名", widget=NAME)
    gender = Field(attribute="gender", column_name="性别", widget=GENDER)
    birth_date = Field(attribute="birth_date", column_name="出生日期", widget=BIRTH_DATE)
    # The cohort and the class are found (or made) from both columns, in `import_instance`.
    entry_year = Field(column_name="入学年份", widget=ENTRY_YEAR)
    class_name = Field(column_name="班级", widget=CLASS_NAME)
    id_number = Field(attribute="id_number", column_name="身份证号", widget=ID_NUMBER)
    # Identifications for the semester, made in `after_import`.
    categories = Field(column_name="类别", widget=CATEGORIES)
    source = Field(column_name="认定来源", widget=SOURCE)
    guardian_name = Field(attribute="guardian_name", column_name="监护人", widget=GUARDIAN_NAME)
    guardian_relation = Field(
        attribute="guardian_relation", column_name="监护人关系", widget=GUARDIAN_RELATION
    )
    guardian_phone = Field(
        attribute="guardian_phone", column_name="监护人电话", widget=GUARDIAN_PHONE
    )
    address = Field(attribute="address", column_name="家庭住址", widget=ADDRESS)
    parents_workplace = Field(
        attribute="parents_workplace", column_name="父母务工地", widget=PARENTS_WORKPLACE
    )
    boarding = Field(attribute="boarding", column_name="是否寄宿", widget=BOARDING)

    class Meta:
        model = Student
        fields = (
            "student_no",
            "name",
            "gender",
            "birth_date",
            "entry_year",
            "class_name",
            "id_number",
            "categories",
            "source",
            "guardian_name",
            "guardian_relation",
            "guardian_phone",
            "address",
            "parents_workplace",
            "boarding",
        )
        import_id_fields = ("student_no",)

    def __init__(
        self,
        *,
        school: School | None = None,
        semester: Semester | None = None,
        by: Any = None,
        rows: Rows | None = None,
    ) -> None:
        super().__init__(by=by, rows=rows)
        self.school, self.semester = school, semester
        self._scratch: Student | None = None
        self._prototype: Student | None = None
        self.touched: list[tuple[str, list[str], str]] = []  # 学籍号, categories, source
        self.identifications = 0

    @property
    def the_school(self) -> School:
        if self.school is None:
            raise ValueError("StudentResource imports and exports need a school")
        return self.school

    def get_queryset(self) -> Any:
        return Student.objects.filter(school=self.school)

    # Checks and what the rows need, before any row

    def load(self) -> None:
        """Every check across rows and against the records, and what a row is compared
        with: one query each, whatever the number of rows."""
        assert self.rows is not None  # noqa: S101 — before_import reads them first
        read = self.rows.records
        errors = self.errors
        duplicate_keys(
            ((n, r["student_no"]) for n, r, _ok in read if r.get("student_no")),
            column="学籍号",
            errors=errors,
        )
        errors.extend(self.rows.once((StudentResource, "id_numbers"), self._id_number_problems))
        rows = [(n, r) for n, r, ok in read if ok]
        school = self.the_school
        self.existing = {s.student_no: s for s in self.get_queryset()}
        keys = [r["student_no"] for _n, r in rows]
        elsewhere = set(
            Student.objects.filter(student_no__in=[k for k in keys if k not in self.existing])
            .exclude(school=school)
            .values_list("student_no", flat=True)
        )
        for number, row in rows:
            if row["student_no"] in elsewhere:
                errors.append(RowError(number, "学籍号", _("该学籍号已属于其他学校的学生")))

        self.cohorts = {c.entry_year: c.pk for c in Cohort.objects.filter(school=school)}
        self.classes = {
            (c.cohort.entry_year, c.name): c.pk
            for c in SchoolClass.objects.filter(school=school).select_related("cohort")
        }
        placeholders = placeholder_ids()
        self.new_cohorts = sorted({r["entry_year"] for _n, r in rows} - set(self.cohorts))
        self.new_classes = sorted(
            {(r["entry_year"], r["class_name"]) for _n, r in rows} - set(self.classes)
        )
        # Until a real run makes them, the new cohorts and classes are told apart by ids that
        # no record has.
        self.cohorts.update((year, next(placeholders)) for year in self.new_cohorts)
        self.classes.update((key, next(placeholders)) for key in self.new_classes)
        for year, name in self.new_classes:
            self.creates.append(_("班级：%(year)s级 %(name)s") % {"year": year, "name": name})

        wants_categories = any(r.get("categories") for _n, r in rows)
        target = self.semester or current_semester(school=school, on=timezone.localdate())
        self.new_semester_code = None
        if wants_categories and target is None:
            self.new_semester_code = semester_code_for(timezone.localdate())
            self.creates.append(_("学期：%(code)s") % {"code": self.new_semester_code})
        self.target = target
        self.identified: set[tuple[str, str]] = set()
        # A semester the import is to create (not saved yet) has no identifications.
        if target is not None and target.pk is not None:
            self.identified = set(
                Identification.objects.filter(
                    semester=target,
                    student__school=school,
                    state=Identification.State.APPROVED,
                ).values_list("student__student_no", "category")
            )

    def _id_number_problems(self) -> list[RowError]:
        """The ID numbers' check digits and birth dates: the rows alone say, checked once for
        the plan and the real run under the lock."""
        assert self.rows is not None  # noqa: S101 — read by load()
        return [
            RowError(number, "身份证号", problem)
            for number, row, _ok in self.rows.records
            if row.get("id_number")
            for problem in idcard.problems(row["id_number"], birth=row.get("birth_date"))
        ]

    def prepare(self) -> None:
        school = self.the_school
        for year in self.new_cohorts:
            self.cohorts[year] = Cohort.objects.create(school=school, entry_year=year).pk
        for year, name in self.new_classes:
            self.classes[(year, name)] = SchoolClass.objects.create(
                school=school, cohort_id=self.cohorts[year], name=name
            ).pk
        self.new_cohorts, self.new_classes = [], []
        if self.new_semester_code:
            self.target = semester_create(school=school, code=self.new_semester_code)
            self.new_semester_code = None
        self.touched = []

    # Each row

    def init_instance(self, row: Any = None) -> Student:
        if self.dry_run:
            # A dry run saves and keeps no new student: one scratch instance serves every new
            # row (making a model instance is a third of a dry run's time).
            if self._scratch is None:
                self._scratch = Student(school_id=self.the_school.pk)
            return self._scratch
        if self._prototype is None:
            self._prototype = Student(school_id=self.the_school.pk)
        return unsaved_copy(self._prototype)

    def set_related(self, instance: Student, row: Any) -> None:
        year = row["入学年份"]
        instance.cohort_id = self.cohorts[year]
        instance.school_class_id = self.classes[(year, row["班级"])]

    def also_changed(self, instance: Student, row: Any) -> list[str]:
        return ["类别"] if self._wanted(row) else []

    def _wanted(self, row: Any) -> list[str]:
        return [c for c in row.get("类别") or [] if (row["学籍号"], c) not in self.identified]

    def save_instance(self, instance: Student, is_create: bool, row: Any, **kwargs: Any) -> None:
        if self.writes:
            wanted = self._wanted(row)
            if wanted:
                self.touched.append((instance.student_no, wanted, row.get("认定来源") or ""))
        super().save_instance(instance, is_create, row, **kwargs)

    # Writes: once, after every row has passed

    def fields_to_update(self) -> set[str]:
        fields = set(self.update_fields)
        if "id_number" in fields:
            fields.add("id_number_hash")
        return fields

    def after_save(self) -> None:
        self.identifications = self._identify()

    def summary(self) -> dict[str, int]:
        return {**super().summary(), "identifications": self.identifications}

    def _identify(self) -> int:
        target, by, now = self.target, self.by, self.now
        if target is None or not self.touched:
            return 0
        ids = {s.student_no: s.pk for s in self.created}
        ids.update((no, s.pk) for no, s in self.existing.items())
        proposed = {
            (i.student_id, i.category): i
            for i in Identification.objects.filter(
                semester=target,
                state=Identification.State.PROPOSED,
                student__school=self.the_school,
            )
        }
        by_id = by.pk if by is not None else None
        approving = []
        new = []
        prototype = Identification(
            semester_id=target.pk,
            state=Identification.State.APPROVED,
            proposed_by_id=by_id,
            approved_by_id=by_id,
            approved_at=now,
        )
        for student_no, wanted, source in self.touched:
            for category in wanted:
                pending = proposed.get((ids[student_no], category))
                if pending is not None:
                    pending.state = Identification.State.APPROVED
                    pending.approved_by, pending.approved_at = by, now
                    approving.append(pending)
                    continue
                identification = unsaved_copy(prototype)
                identification.student_id = ids[student_no]
                identification.category = category
                identification.source = source or Identification.Source.SCHOOL
                new.append(identification)
        tracked_bulk_create(Identification, new, by=by, reason=IMPORT_REASON)
        tracked_bulk_update(
            Identification,
            approving,
            ["state", "approved_by", "approved_at"],
            by=by,
            reason=IMPORT_REASON,
        )
        return len(new)

    # Export (the admin's)

    def get_export_fields(self, selected_fields: Any = None) -> list[Field]:
        # The whole ID number is shown only through the school's pages, which log it.
        fields = super().get_export_fields(selected_fields)
        return [f for f in fields if f.column_name != "身份证号"]

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return queryset.filter(school=self.the_school).select_related("cohort", "school_class")

    def dehydrate_entry_year(self, student: Student) -> int:
        return student.cohort.entry_year

    def dehydrate_class_name(self, student: Student) -> str:
        return student.school_class.name if student.school_class else ""

    def dehydrate_categories(self, student: Student) -> str:
        return _categories_shown(self._identifications().get(student.pk, ([], ""))[0])

    def dehydrate_source(self, student: Student) -> str:
        source = self._identifications().get(student.pk, ([], ""))[1]
        return _SOURCE_SHOWN.get(source, "")

    def _identifications(self) -> dict[int, tuple[list[str], str]]:
        if not hasattr(self, "_identified_for_export"):
            found: dict[int, tuple[list[str], str]] = {}
            semester = self.semester or current_semester(
                school=self.the_school, on=timezone.localdate()
            )
            if semester is not None:
                for student_id, category, source in Identification.objects.filter(
                    semester=semester, state=Identification.State.APPROVED
                ).values_list("student_id", "category", "source"):
                    found.setdefault(student_id, ([], source))[0].append(category)
            self._identified_for_export = found
        return self._identified_for_export
