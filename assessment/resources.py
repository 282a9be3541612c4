"""Scores as a spreadsheet (成绩表): import and export with DESIGN's headers. Each row names
its own semester; a semester the school does not have yet is created with default dates."""

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.audit import IMPORT_REASON, change_reason
from aidcase.spreadsheets import (
    CellError,
    Column,
    Plan,
    RowChange,
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


class ScoresSheet:
    kind = "scores"
    title = gettext_lazy("成绩表")
    notes = gettext_lazy(
        "每行一名学生一个学期一个科目的成绩；科目留空或填“总分”表示总分。"
        "年级平均分按同级全部有成绩的学生计算，请导入全体学生的成绩，不只是帮扶对象。"
        "学期不存在时按默认日期新建（第一学期 9月1日—1月31日，第二学期 2月1日—7月31日）。"
    )
    columns = (
        Column("学籍号", "student_no", True, code, gettext_lazy("须已在本校学生名册中")),
        Column(
            "学期",
            "semester",
            True,
            semester_code,
            gettext_lazy("如 2025-2026-1（第一学期）或 2025-2026-2（第二学期）"),
        ),
        Column("成绩", "score", True, score, gettext_lazy("0 到 1000，最多 2 位小数")),
        Column("科目", "subject", False, subject, gettext_lazy("如 数学；留空或“总分”为总分")),
    )

    def plan(self, parsed: Rows, *, school: School, semester: Semester | None, by: Any) -> Plan:
        """Checks every row. `semester` is not used: each row names its own."""
        plan = Plan(kind=self.kind, errors=list(parsed.errors))
        errors = plan.errors
        read = parsed.records
        if parsed.missing:
            return plan
        has_subject = "科目" in parsed.headers
        keyed = [
            (n, (r["student_no"], r["semester"], r.get("subject") or TOTAL))
            for n, r, _ok in read
            if r.get("student_no") and r.get("semester") and ("subject" in r or not has_subject)
        ]
        duplicate_keys(keyed, column="科目" if has_subject else "学期", errors=errors)

        ids = dict(Student.objects.filter(school=school).order_by().values_list("student_no", "pk"))
        codes = {r["semester"] for _n, r, _ok in read if r.get("semester")}
        semesters = {
            s.code: s for s in Semester.objects.filter(school=school, code__in=codes).order_by()
        }
        # A semester still to come has no scores yet: most likely a typo in the code.
        starts = {
            c: semesters[c].start if c in semesters else semester_default_dates(c)[0] for c in codes
        }
        today = timezone.localdate()
        for number, row, _ok in read:
            if row.get("student_no") and row["student_no"] not in ids:
                errors.append(
                    RowError(number, "学籍号", _("本校学生名册中没有该学籍号，请先导入学生名册"))
                )
            if row.get("semester") and starts[row["semester"]] > today:
                errors.append(RowError(number, "学期", _("该学期还没有开始，不能导入成绩")))
        if errors:
            return plan

        new_codes = sorted(codes - set(semesters))
        plan.creates = [_("学期：%(code)s") % {"code": c} for c in new_codes]
        existing = {
            (student_id, semester_id, subject_): value
            for student_id, semester_id, subject_, value in Score.objects.filter(
                semester__in=list(semesters.values())
            )
            .order_by()
            .values_list("student_id", "semester_id", "subject", "score")
        }
        writes: list[tuple[int, str, str, Decimal]] = []
        replaced: set[tuple[int, str, str]] = set()
        for number, row, _ok in read:
            student_id, subject_ = ids[row["student_no"]], row.get("subject") or TOTAL
            known = semesters.get(row["semester"])
            old = existing.get((student_id, known.pk, subject_)) if known else None
            key = f"{row['student_no']} {row['semester']} {subject_ or TOTAL_NAME}"
            if old is None:
                plan.changes.append(RowChange(number, key, "new"))
            elif old != row["score"]:  # Decimal: 85.5 equals the stored 85.50
                plan.changes.append(RowChange(number, key, "changed", ["成绩"]))
                replaced.add((student_id, row["semester"], subject_))
            else:
                plan.changes.append(RowChange(number, key, "unchanged"))
                continue
            writes.append((student_id, row["semester"], subject_, row["score"]))

        def apply() -> dict[str, int]:
            result = self._apply(
                school=school,
                semesters=semesters,
                new_codes=new_codes,
                writes=writes,
                replaced=replaced,
                by=by,
            )
            return {"new": plan.count("new"), "changed": plan.count("changed"), **result}

        plan.apply = apply
        return plan

    @staticmethod
    @transaction.atomic
    def _apply(
        *,
        school: School,
        semesters: dict[str, Semester],
        new_codes: list[str],
        writes: list[tuple[int, str, str, Decimal]],
        replaced: set[tuple[int, str, str]],
        by: Any,
    ) -> dict[str, int]:
        semesters = {
            **semesters,
            **{c: semester_get_or_create(school=school, code=c) for c in new_codes},
        }
        # New and changed scores in one statement per batch: an existing key gets the new
        # score (and updated_at), keeping its created_at.
        Score.objects.bulk_create(
            [
                Score(student_id=student_id, semester=semesters[c], subject=s, score=value)
                for student_id, c, s, value in writes
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["student", "semester", "subject"],
            update_fields=["score", "updated_at"],
        )
        # An upsert sends no signals: the history entries of the written scores, read back.
        keys = {(student_id, c, s) for student_id, c, s, _value in writes}
        written = [
            score
            for score in Score.objects.filter(
                semester__in=[semesters[c] for c in {c for _s, c, _x, _v in writes}],
                student__in={student_id for student_id, _c, _s, _v in writes},
            ).select_related("semester")
            if (score.student_id, score.semester.code, score.subject) in keys
        ]
        for update in (False, True):
            Score.history.bulk_history_create(
                [
                    score
                    for score in written
                    if ((score.student_id, score.semester.code, score.subject) in replaced)
                    is update
                ],
                update=update,
                default_user=by,
                default_change_reason=change_reason(IMPORT_REASON, by=by),
            )
        return {"semesters": len(new_codes)}

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
