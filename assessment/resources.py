"""Scores as a spreadsheet (成绩表): import and export with DESIGN's headers, on
django-import-export. The school's import (`ScoresSheet.plan`) and the superuser's admin both
read, diff and save scores through `ScoreResource`. Each row names its own semester; a
semester the school does not have yet is created with default dates."""

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from aidcase.sheet_resources import CellWidget, SheetResource, placeholder_ids, sheet_plan
from aidcase.spreadsheets import (
    CellError,
    Column,
    Plan,
    RowError,
    Rows,
    code,
    decimal,
    duplicate_keys,
    text,
)
from assessment.models import MAX_SCORE, MIN_SCORE, TOTAL, Score
from students.models import (
    School,
    Semester,
    Student,
    semester_default_dates,
    validate_semester_code,
)
from students.services import semester_get_or_create

TOTAL_NAME = "总分"  # how a sheet names the total; stored as TOTAL


# How a semester is named on the page and in school documents: 2025—2026学年第一学期.
SEMESTER_LABEL_RE = re.compile(r"^(\d{4})\s*[-—–~至]\s*(\d{4})\s*学年\s*第?\s*([一二12])\s*学期$")


def semester_code(value: Any) -> str:
    """A semester code (2025-2026-1), or its label (2025—2026学年第一学期)."""
    raw = text(value, max_length=30)
    label = SEMESTER_LABEL_RE.match(raw)
    if label:
        raw = f"{label[1]}-{label[2]}-{'1' if label[3] in '一1' else '2'}"
    try:
        validate_semester_code(raw)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None
    return raw


def subject(value: Any) -> str:
    name = text(value, max_length=20)
    return TOTAL if name == TOTAL_NAME else name


def score(value: Any) -> Decimal:
    return decimal(value, low=MIN_SCORE, high=MAX_SCORE, places=2)


STUDENT_NO = CellWidget(code)
SEMESTER = CellWidget(semester_code)
SCORE = CellWidget(score)
SUBJECT = CellWidget(subject, blank=TOTAL)

COLUMNS = (
    Column("学籍号", "student_no", True, STUDENT_NO.clean, gettext_lazy("须已在本校学生名册中")),
    Column(
        "学期",
        "semester",
        True,
        SEMESTER.clean,
        gettext_lazy("如 2025-2026-1（第一学期）或 2025-2026-2（第二学期）"),
    ),
    Column("成绩", "score", True, SCORE.clean, gettext_lazy("0 到 1000，最多 2 位小数")),
    Column("科目", "subject", False, SUBJECT.clean, gettext_lazy("如 数学；留空或“总分”为总分")),
)


class ScoreResource(SheetResource):
    """Scores of one school's students (`school`; None only to list the columns), keyed by
    学籍号 + 学期 + 科目, the history naming `by`. A real run creates the semesters the rows
    name that the school lacks, then writes the new and changed scores, all or nothing."""

    columns = COLUMNS
    compared = (("成绩", "score"),)

    # The student and the semester are found from their columns, in `set_related`.
    student_no = Field(column_name="学籍号", widget=STUDENT_NO)
    semester = Field(column_name="学期", widget=SEMESTER)
    score = Field(attribute="score", column_name="成绩", widget=SCORE)
    subject = Field(attribute="subject", column_name="科目", widget=SUBJECT)

    class Meta:
        model = Score
        fields = ("student_no", "semester", "score", "subject")
        import_id_fields = ("student_no", "semester")

    def __init__(self, *, school: School | None = None, by: Any = None, rows: Rows | None = None):
        super().__init__(by=by, rows=rows)
        self.school = school
        self.ids: dict[str, int] = {}
        self.semesters: dict[str, int] = {}
        self.new_codes: list[str] = []
        self._scratch: Score | None = None

    @property
    def the_school(self) -> School:
        if self.school is None:
            raise ValueError("ScoreResource imports and exports need a school")
        return self.school

    def row_key(self, row: Any) -> Any:
        return (self.ids.get(row["学籍号"]), row["学期"], row.get("科目") or TOTAL)

    def change_key(self, record: dict[str, Any]) -> str:
        return f"{record['student_no']} {record['semester']} {record.get('subject') or TOTAL_NAME}"

    def load(self) -> None:
        """The rows' keys unique in the file, their students on the school's roster, their
        semesters begun; the stored scores of those semesters. Three queries."""
        assert self.rows is not None  # noqa: S101 — before_import reads them first
        read, errors, school = self.rows.records, self.errors, self.the_school
        has_subject = "科目" in self.rows.headers
        keyed = [
            (n, (r["student_no"], r["semester"], r.get("subject") or TOTAL))
            for n, r, _ok in read
            if r.get("student_no") and r.get("semester") and ("subject" in r or not has_subject)
        ]
        duplicate_keys(keyed, column="科目" if has_subject else "学期", errors=errors)

        self.ids = dict(
            Student.objects.filter(school=school).order_by().values_list("student_no", "pk")
        )
        codes = {r["semester"] for _n, r, _ok in read if r.get("semester")}
        known = {
            s.code: s for s in Semester.objects.filter(school=school, code__in=codes).order_by()
        }
        # A semester still to come has no scores yet: most likely a typo in the code.
        starts = {c: known[c].start if c in known else semester_default_dates(c)[0] for c in codes}
        today = timezone.localdate()
        for number, row, _ok in read:
            if row.get("student_no") and row["student_no"] not in self.ids:
                errors.append(
                    RowError(number, "学籍号", _("本校学生名册中没有该学籍号，请先导入学生名册"))
                )
            if row.get("semester") and starts[row["semester"]] > today:
                errors.append(RowError(number, "学期", _("该学期还没有开始，不能导入成绩")))

        self.new_codes = sorted(codes - set(known))
        self.creates = [_("学期：%(code)s") % {"code": c} for c in self.new_codes]
        # Until a real run makes them, new semesters have ids that no record has.
        placeholders = placeholder_ids()
        self.semesters = {c: s.pk for c, s in known.items()}
        self.semesters.update((c, next(placeholders)) for c in self.new_codes)
        code_of = {s.pk: c for c, s in known.items()}
        self.existing = {
            (s.student_id, code_of[s.semester_id], s.subject): s
            for s in Score.objects.filter(semester__in=list(known.values())).order_by()
        }

    def prepare(self) -> None:
        school = self.the_school
        for c in self.new_codes:
            self.semesters[c] = semester_get_or_create(school=school, code=c).pk

    def init_instance(self, row: Any = None) -> Score:
        if self.dry_run:
            # A dry run saves no new score: one scratch instance serves every new row.
            if self._scratch is None:
                self._scratch = Score()
            return self._scratch
        return Score()

    def set_related(self, instance: Score, row: Any) -> None:
        instance.student_id = self.ids[row["学籍号"]]
        instance.semester_id = self.semesters[row["学期"]]

    def summary(self) -> dict[str, int]:
        return {**super().summary(), "semesters": len(self.new_codes)}

    # Export (the admin's)

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return queryset.filter(semester__school=self.the_school).select_related(
            "student", "semester"
        )

    def dehydrate_student_no(self, score: Score) -> str:
        return score.student.student_no

    def dehydrate_semester(self, score: Score) -> str:
        return score.semester.code

    def dehydrate_subject(self, score: Score) -> str:
        return score.subject or TOTAL_NAME


class ScoresSheet:
    kind = "scores"
    title = gettext_lazy("成绩表")
    notes = gettext_lazy(
        "每行一名学生一个学期一个科目的成绩；科目留空或填“总分”表示总分。"
        "年级平均分按同级全部有成绩的学生计算，请导入全体学生的成绩，不只是帮扶对象。"
        "学期不存在时按默认日期新建（第一学期 9月1日—1月31日，第二学期 2月1日—7月31日）。"
    )
    columns = COLUMNS

    def plan(
        self, parsed: Rows, *, school: School, semester: Semester | None, by: Any, run: bool = False
    ) -> Plan:
        """The Resource's dry run as the preview; `apply` is its real run (`sheet_plan`).
        `semester` is not used: each row names its own."""
        return sheet_plan(self.kind, ScoreResource(school=school, by=by, rows=parsed), run=run)

    def export_rows(
        self, *, school: School, semester: Semester | None = None
    ) -> Iterable[list[Any]]:
        """The school's scores (of one semester, when given) with the import's headers, so
        that export → import changes nothing."""
        scores = Score.objects.filter(semester__school=school)
        if semester is not None:
            scores = scores.filter(semester=semester)
        for student_no, code_, value, subject_ in scores.order_by(
            "semester__start", "semester__code", "student__student_no", "subject"
        ).values_list("student__student_no", "semester__code", "score", "subject"):
            yield [student_no, code_, value, subject_ or TOTAL_NAME]
