"""The students roster as a spreadsheet (学生名册): import and export with DESIGN's headers."""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy

from aidcase.sheet_resources import sheet_plan
from aidcase.spreadsheets import Plan, Rows
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
from students.student_resource import (
    CATEGORY_NAMES,
    CATEGORY_SHEET_NAMES,
    COLUMNS,
    GENDER_NAMES,
    SOURCE_NAMES,
    StudentResource,
    categories,
)
from students.teacher_resource import COLUMNS as TEACHER_COLUMNS
from students.teacher_resource import TeacherResource

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


class StudentsSheet:
    kind = "students"
    title = gettext_lazy("学生名册")
    notes = gettext_lazy(
        "每行一名学生，包括不属于帮扶对象的学生（年级平均分需要全部学生的成绩）。"
        "类别为空表示不是帮扶对象；类别按导入所选学期认定（默认为当前学期）。"
    )
    columns = COLUMNS

    def plan(
        self, parsed: Rows, *, school: School, semester: Semester | None, by: Any, run: bool = False
    ) -> Plan:
        """The Resource's dry run as the preview; `apply` is its real run (`sheet_plan`)."""
        resource = StudentResource(school=school, semester=semester, by=by, rows=parsed)
        return sheet_plan(self.kind, resource, run=run)

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


def _class_label(school_class: SchoolClass, *, ambiguous: set[str]) -> str:
    """A class's name, with its cohort in front when another cohort has a class of that name."""
    if school_class.name in ambiguous:
        return f"{school_class.cohort.entry_year}级{school_class.name}"
    return school_class.name


class TeachersSheet:
    kind = "teachers"
    title = gettext_lazy("教师名单")
    notes = gettext_lazy(
        "每行一名教师，工号即登录账号。新教师获得一次性密码（导入后只提供一次），"
        "首次登录时必须修改。已有教师按工号更新姓名、手机号和任教学科，密码不变。"
        "“是否班主任”填“是”时，“班级”填所带班级的名称；填“否”会取消其班主任身份；"
        "留空则不改变。"
    )
    columns = TEACHER_COLUMNS

    def plan(
        self, parsed: Rows, *, school: School, semester: Semester | None, by: Any, run: bool = False
    ) -> Plan:
        """The Resource's dry run as the preview; `apply` is its real run (`sheet_plan`)."""
        resource = TeacherResource(school=school, by=by, rows=parsed)
        return sheet_plan(self.kind, resource, run=run)

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
