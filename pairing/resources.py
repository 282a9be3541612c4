"""Pairings as a spreadsheet (结对名单): import and export with DESIGN's headers.

`PairingResource` (django-import-export, on the shared base of `aidcase.sheet_resources`)
reads, diffs and saves the rows, for the school's import (`PairingsSheet.plan`) and the
superuser's admin. Besides its pairings, a file fills in the identifications its pairings
need (DESIGN "Pairing"): the semesters a new pairing covers in which the student is not
identified in its category get an approved identification with the source 结对名单补录, and a
semester the school lacks is created with default dates; both are listed in the preview
(`creates`) and made first by a real run (`prepare`).
"""

import bisect
import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from aidcase.audit import IMPORT_REASON, tracked_bulk_create
from aidcase.sheet_resources import CellWidget, SheetResource, sheet_plan
from aidcase.spreadsheets import (
    Column,
    Plan,
    RowError,
    Rows,
    choice,
    code,
    date,
    duplicate_keys,
    text,
)
from pairing.models import Pairing
from pairing.services import pairings_imported
from students.models import (
    Category,
    Identification,
    Profile,
    School,
    Semester,
    Student,
    semester_default_dates,
)
from students.selectors import (
    next_semester_code,
    previous_semester_code,
    semester_code_for,
    today,
)
from students.services import semester_get_or_create
from students.student_resource import CATEGORY_NAMES, CATEGORY_SHEET_NAMES

KEY_COLUMNS = "工号、学籍号、类别、开始日期"

# (teacher id, student id, category, start): a pairing's natural key.
Key = tuple[int, int, str, dt.date]
# (student id, semester code, category): an identification a pairings file fills in.
Fill = tuple[int, str, str]


class Covering(NamedTuple):
    """A new row of a pairings file and the semesters its pairing covers."""

    number: int
    row: dict[str, Any]
    student_id: int
    codes: list[str]
    future: bool  # starts after today: its semester must be identified already


def semesters_covered(*, start: dt.date, last: dt.date, starts: dict[str, dt.date]) -> list[str]:
    """The codes of the semesters a pairing running from `start` to `last` covers, in order:
    each of its days belongs to the latest semester started by that day (the summer holiday
    belongs to the term before, as `category_identified` says). `starts` holds the start
    dates of the school's own semesters; a semester it lacks starts on its default date."""
    codes = [previous_semester_code(semester_code_for(start))]
    final = next_semester_code(semester_code_for(last))
    while codes[-1] != final:
        codes.append(next_semester_code(codes[-1]))
    timeline = sorted((starts.get(c) or semester_default_dates(c)[0], c) for c in codes)
    first: list[str] = []
    later: list[str] = []
    for day, code_ in timeline:
        if day <= start:
            first = [code_]
        elif day <= last:
            later.append(code_)
    return first + later


# Widgets


CODE = CellWidget(code)
CATEGORY = CellWidget(
    choice(CATEGORY_NAMES, label=gettext_lazy("类别")), show=CATEGORY_SHEET_NAMES.get
)
DATE = CellWidget(date, show=dt.date.isoformat)
SUBJECT = CellWidget(lambda value: text(value, max_length=20), blank="")

# The sheet's columns, in the order of DESIGN's headers; their parsers are the widgets.
COLUMNS = (
    Column("工号", "staff_number", True, CODE.clean, gettext_lazy("帮扶教师的工号")),
    Column("学籍号", "student_no", True, CODE.clean),
    Column(
        "类别",
        "category",
        True,
        CATEGORY.clean,
        gettext_lazy("留守、贫困、学困 或 问题，每行一个"),
    ),
    Column("开始日期", "start", True, DATE.clean, gettext_lazy("如 2025-09-01")),
    Column(
        "结束日期",
        "end",
        False,
        DATE.clean,
        gettext_lazy("结对结束时填写；导入的结束原因记为“其他”"),
    ),
    Column(
        "学科",
        "subject",
        False,
        SUBJECT.clean,
        gettext_lazy("仅学困结对可填，如 数学；留空为总分"),
    ),
)


class PairingResource(SheetResource):
    """Pairings of one school (`school`; None only to list the columns), the history naming
    `by`. A row is found by its teacher, student, category and start; a pairing found again
    gets only its end (a blank 结束日期 does not open an ended pairing again) and its subject.

    A dry run reads only. A real run creates the semesters and identifications the file
    fills in, then ends and updates pairings, then creates the new ones, each with its
    history (reason IMPORT_REASON); it writes nothing at all when any row has a problem."""

    columns = COLUMNS
    compared = (("结束日期", "end"), ("学科", "subject"))

    # The teacher and the student are found from their codes, the end set only when given:
    # in `set_related`.
    staff_number = Field(column_name="工号", widget=CODE)
    student_no = Field(column_name="学籍号", widget=CODE)
    category = Field(attribute="category", column_name="类别", widget=CATEGORY)
    start = Field(attribute="start", column_name="开始日期", widget=DATE)
    end = Field(column_name="结束日期", widget=DATE)
    subject = Field(attribute="subject", column_name="学科", widget=SUBJECT)

    class Meta:
        model = Pairing
        fields = ("staff_number", "student_no", "category", "start", "end", "subject")
        import_id_fields = ("staff_number", "student_no", "category", "start")

    def __init__(
        self, *, school: School | None = None, by: Any = None, rows: Rows | None = None
    ) -> None:
        super().__init__(by=by, rows=rows)
        self.school = school
        self.staff: dict[str, tuple[int, bool]] = {}  # lowered 工号 → (user id, active)
        self.students: dict[str, int] = {}  # 学籍号 → student id
        self.by_code: dict[str, Semester] = {}
        self.fills: dict[Fill, tuple[int, dict[str, Any]]] = {}
        self.identifications = 0
        self.semesters = 0

    @property
    def the_school(self) -> School:
        if self.school is None:
            raise ValueError("PairingResource imports and exports need a school")
        return self.school

    def get_queryset(self) -> Any:
        return Pairing.objects.filter(school=self.school)

    def row_key(self, row: Any) -> Key | None:
        teacher = self.staff.get((row.get("工号") or "").lower())
        student_id = self.students.get(row.get("学籍号"))
        if teacher is None or student_id is None:
            return None
        return (teacher[0], student_id, row["类别"], row["开始日期"])

    def change_key(self, record: dict[str, Any]) -> str:
        """A pairing as the preview names it: its four key cells."""
        category, start = CATEGORY_SHEET_NAMES[record["category"]], record["start"].isoformat()
        return f"{record['staff_number']} {record['student_no']} {category} {start}"

    # Checks and what the rows need, before any row

    def load(self) -> None:
        """Every check across rows and against the records, and the identifications to fill
        in: one query each, whatever the number of rows."""
        assert self.rows is not None  # noqa: S101 — before_import reads them first
        read = self.rows.records
        errors = self.errors
        school = self.the_school
        duplicate_keys(
            (
                (n, (r["staff_number"].lower(), r["student_no"], r["category"], r["start"]))
                for n, r, _ok in read
                if all(r.get(k) for k in ("staff_number", "student_no", "category", "start"))
            ),
            column=KEY_COLUMNS,
            errors=errors,
        )
        rows = [(n, r) for n, r, ok in read if ok]

        self.staff = staff = {
            username.lower(): (pk, active)
            for pk, username, active in Profile.objects.filter(school=school).values_list(
                "user_id", "user__username", "user__is_active"
            )
        }
        unknown_staff = {r["staff_number"].lower() for _n, r in rows} - set(staff)
        staff_elsewhere = set(
            get_user_model()
            .objects.annotate(lowered=Lower("username"))
            .filter(lowered__in=unknown_staff)
            .values_list("lowered", flat=True)
        )
        students = self.students
        entry_years: dict[int, int] = {}
        left: dict[int, str] = {}
        for student_no, pk, status, entry_year in Student.objects.filter(school=school).values_list(
            "student_no", "pk", "status", "cohort__entry_year"
        ):
            students[student_no] = pk
            entry_years[pk] = entry_year
            if status in Student.LEFT:
                left[pk] = str(Student.Status(status).label)
        unknown_students = {r["student_no"] for _n, r in rows} - set(students)
        students_elsewhere = set(
            Student.objects.filter(student_no__in=unknown_students).values_list(
                "student_no", flat=True
            )
        )
        semesters = list(Semester.objects.filter(school=school).order_by("start"))
        starts = [s.start for s in semesters]
        self.by_code = {s.code: s for s in semesters}
        code_starts = {s.code: s.start for s in semesters}
        # A pairing may have been made while the student was at another school: it is found
        # by its student as well as by its school.
        self.existing = existing = {
            (p.teacher_id, p.student_id, p.category, p.start): p
            for p in Pairing.objects.filter(Q(school=school) | Q(student__school=school))
        }

        def semester_of(day: dt.date) -> Semester | None:
            """The latest semester that has started by the day, as category_identified says."""
            index = bisect.bisect_right(starts, day)
            return semesters[index - 1] if index else None

        keyed: list[tuple[int, dict[str, Any], Key]] = []
        # New rows and the semesters their pairing covers, checked once the file's
        # identifications are fetched.
        covering: list[Covering] = []
        on = today()
        for number, row in rows:
            teacher = staff.get(row["staff_number"].lower())
            student_id = students.get(row["student_no"])
            if teacher is None:
                message = (
                    _("该工号属于其他学校的账号")
                    if row["staff_number"].lower() in staff_elsewhere
                    else _("本校没有这个工号的教师")
                )
                errors.append(RowError(number, "工号", message))
            if student_id is None:
                message = (
                    _("该学籍号属于其他学校的学生")
                    if row["student_no"] in students_elsewhere
                    else _("本校没有这个学籍号的学生")
                )
                errors.append(RowError(number, "学籍号", message))
            ends_early = bool(row.get("end") and row["end"] < row["start"])
            if ends_early:
                errors.append(RowError(number, "结束日期", _("结束日期不能早于开始日期")))
            if row.get("subject") and row["category"] != Category.STRUGGLING:
                errors.append(RowError(number, "学科", _("只有学困结对可以填写学科")))
            if teacher is None or student_id is None:
                continue
            key = (teacher[0], student_id, row["category"], row["start"])
            keyed.append((number, row, key))
            if key in existing:
                continue
            if not teacher[1]:
                errors.append(RowError(number, "工号", _("该教师账号已停用，不能新建结对")))
            if student_id in left:
                errors.append(
                    RowError(
                        number,
                        "学籍号",
                        _("该学生已%(status)s，不能新建结对") % {"status": left[student_id]},
                    )
                )
            if ends_early:
                continue
            if row["start"] > on:
                # A pairing still to come fills nothing in: its semester has not started.
                term = semester_of(row["start"])
                codes = [term.code] if term is not None else []
            else:
                # Semesters before the student's school years are not filled in: the
                # pairing overlaps the later ones, which is what DESIGN asks.
                entry_year = entry_years[student_id]
                codes = []
                if row["start"] >= dt.date(entry_year - 1, 8, 1):
                    codes = [
                        c
                        for c in semesters_covered(
                            start=row["start"],
                            last=min(row.get("end") or on, on),
                            starts=code_starts,
                        )
                        if int(c[:4]) >= entry_year
                    ]
                if not codes:
                    errors.append(
                        RowError(
                            number,
                            "开始日期",
                            _(
                                "结对早于该学生入学（%(year)s 年），无法补录类别认定；"
                                "请核对开始日期、结束日期和入学年份"
                            )
                            % {"year": entry_year},
                        )
                    )
                    continue
            covering.append(Covering(number, row, student_id, codes, row["start"] > on))

        self.fills = self._check_identified(covering)
        self._check_open(keyed)
        self.creates = self._creates()

    def _check_identified(self, covering: list[Covering]) -> dict[Fill, tuple[int, dict[str, Any]]]:
        """DESIGN "Pairing": a pairing's category is one the student is identified in for
        the semesters it covers. A semester without that identification is filled in by the
        import (the school paired the student before it used AidCase), unless the student
        was refused in the category that semester (a rejected proposal, deleted and kept in
        the history) or a proposal waits for review. A pairing still to come fills nothing
        in. Returns the identifications to fill in, each with the first row that
        asks for it."""
        by_code = self.by_code
        semester_ids = {by_code[c].pk for entry in covering for c in entry.codes if c in by_code}
        states: dict[tuple[int, int, str], str] = {}
        refused: set[tuple[int, int, str]] = set()
        if covering:
            school = self.the_school
            states = {
                (student_id, semester_id, category): state
                for student_id, semester_id, category, state in Identification.objects.filter(
                    student__school=school, semester_id__in=semester_ids
                )
                .order_by()
                .values_list("student_id", "semester_id", "category", "state")
            }
            refused = set(
                Identification.history.filter(
                    student__school=school,
                    semester_id__in=semester_ids,
                    history_type="-",
                    state=Identification.State.PROPOSED,
                )
                .order_by()
                .values_list("student_id", "semester_id", "category")
            )
        fills: dict[Fill, tuple[int, dict[str, Any]]] = {}
        for number, row, student_id, codes, future in covering:
            category = row["category"]
            label = Category(category).label
            missing: list[str] = []
            for code_ in codes:
                semester = by_code.get(code_)
                triple = (student_id, semester.pk if semester else 0, category)
                state = states.get(triple)
                if state == Identification.State.APPROVED:
                    continue
                if future:
                    missing.append(code_)
                elif state == Identification.State.PROPOSED:
                    self.errors.append(
                        RowError(
                            number,
                            "类别",
                            _(
                                "该学生 %(semester)s 学期“%(category)s”的认定还在待审核，"
                                "请先审核后再导入"
                            )
                            % {"semester": code_, "category": label},
                        )
                    )
                elif triple in refused:
                    self.errors.append(
                        RowError(
                            number,
                            "类别",
                            _(
                                "该学生 %(semester)s 学期“%(category)s”的认定曾被驳回，"
                                "不能按结对名单补录；请核对开始日期和结束日期，"
                                "或先在该学期重新认定"
                            )
                            % {"semester": code_, "category": label},
                        )
                    )
                else:
                    fills.setdefault((student_id, code_, category), (number, row))
            if future and (missing or not codes):
                self.errors.append(
                    RowError(
                        number,
                        "类别",
                        _("该学生在开始日期所在学期未被认定为“%(category)s”，请先完成类别认定")
                        % {"category": label},
                    )
                )
        return fills

    def _check_open(self, keyed: list[tuple[int, dict[str, Any], Key]]) -> None:
        """At most one open pairing per teacher, student and category once the file is in
        (the database's one_open_pairing): open pairings the file leaves open, and new rows
        without an end date."""
        existing = self.existing
        ending = {key for _n, row, key in keyed if row.get("end") and key in existing}
        open_now: dict[tuple[int, int, str], dt.date] = {
            key[:3]: key[3] for key, p in existing.items() if p.end is None and key not in ending
        }
        opened: dict[tuple[int, int, str], tuple[int, dt.date]] = {}
        for number, row, key in keyed:
            if row.get("end") or key in existing:
                continue
            triple = key[:3]
            if triple in open_now:
                self.errors.append(
                    RowError(
                        number,
                        "开始日期",
                        _(
                            "该教师与该学生在此类别下已有进行中的结对（开始日期 %(start)s），"
                            "请先填写那个结对的结束日期"
                        )
                        % {"start": open_now[triple].isoformat()},
                    )
                )
            elif triple in opened and opened[triple][1] == key[3]:
                continue  # the same key twice, reported as such
            elif triple in opened:
                self.errors.append(
                    RowError(
                        number,
                        "开始日期",
                        _("与第 %(row)s 行都是进行中的结对：同一教师、学生和类别只能有一个")
                        % {"row": opened[triple][0]},
                    )
                )
            else:
                opened[triple] = (number, key[3])

    def _creates(self) -> list[str]:
        """The semesters and identifications the import makes on the way, for the preview."""
        creates = [
            _("学期：%(code)s") % {"code": c}
            for c in sorted({code_ for _s, code_, _c in self.fills} - set(self.by_code))
        ]
        grouped: dict[tuple[str, str], list[str]] = {}
        for (_student, code_, category), (_number, row) in self.fills.items():
            grouped.setdefault((row["student_no"], category), []).append(code_)
        source = Identification.Source.PAIRING_LIST.label
        for (student_no, category), codes in sorted(grouped.items()):
            creates.append(
                _("类别认定（%(source)s）：%(student)s %(category)s %(semesters)s")
                % {
                    "source": source,
                    "student": student_no,
                    "category": CATEGORY_SHEET_NAMES[Category(category)],
                    "semesters": "、".join(sorted(codes)),
                }
            )
        return creates

    def prepare(self) -> None:
        """The semesters the fills name, made one by one with default dates (each moved clear
        of the other term's dates) and recorded in the history by its save, then the
        identifications filled in."""
        school, by = self.the_school, self.by
        codes = sorted({code_ for _s, code_, _c in self.fills})
        semesters = {c: semester_get_or_create(school=school, code=c) for c in codes}
        self.semesters = len(set(codes) - set(self.by_code))
        by_id = by.pk if by is not None else None
        note = _("由结对名单补录")
        identifications = [
            Identification(
                student_id=student_id,
                semester_id=semesters[code_].pk,
                category=category,
                source=Identification.Source.PAIRING_LIST,
                state=Identification.State.APPROVED,
                note=note,
                proposed_by_id=by_id,
                approved_by_id=by_id,
                approved_at=self.now,
            )
            for (student_id, code_, category) in sorted(self.fills)
        ]
        tracked_bulk_create(Identification, identifications, by=by, reason=IMPORT_REASON)
        self.identifications = len(identifications)
        self.fills = {}

    # Each row

    def init_instance(self, row: Any = None) -> Pairing:
        return Pairing(school_id=self.the_school.pk, created_by=self.by)

    def set_related(self, instance: Pairing, row: Any) -> None:
        end = row.get("结束日期")
        if instance.pk is None:
            key = self.row_key(row)
            assert key is not None  # noqa: S101 — a row without one has failed
            instance.teacher_id, instance.student_id = key[0], key[1]
            instance.end = end
            # The file does not say why a pairing ended; "other" claims nothing
            # (left_category would tell the reports something nobody said).
            instance.end_reason = Pairing.EndReason.OTHER if end else ""
        elif end:
            instance.end = end

    def save_instance(self, instance: Pairing, is_create: bool, row: Any, **kwargs: Any) -> None:
        if self.writes and not is_create and row.get("结束日期"):
            instance.end_reason = instance.end_reason or Pairing.EndReason.OTHER
            self.update_fields.add("end_reason")
        super().save_instance(instance, is_create, row, **kwargs)

    # Writes: once, after every row has passed (the base writes the ends before the new
    # pairings, for one_open_pairing)

    def bulk_create(self, *args: Any, **kwargs: Any) -> None:
        super().bulk_create(*args, **kwargs)
        if self.writes and (self.created or self.updated):
            pairings_imported.send(sender=Pairing, school=self.the_school)

    def summary(self) -> dict[str, int]:
        return {
            **super().summary(),
            "identifications": self.identifications,
            "semesters": self.semesters,
        }

    # Export (the admin's)

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return queryset.filter(school=self.the_school).select_related("teacher", "student")

    def dehydrate_staff_number(self, pairing: Pairing) -> str:
        return pairing.teacher.username

    def dehydrate_student_no(self, pairing: Pairing) -> str:
        return pairing.student.student_no

    def dehydrate_end(self, pairing: Pairing) -> dt.date | None:
        return pairing.end


class PairingsSheet:
    kind = "pairings"
    title = gettext_lazy("结对名单")
    notes = gettext_lazy(
        "每行一个结对：一名教师、一名学生、一个类别。结对覆盖的学期（从开始日期到结束日期或今天）中，"
        "学生尚未认定为该类别的，导入时记为已认定，来源为“结对名单补录”；"
        "该学期此类别的认定曾被驳回或还在待审核的，该行不能导入。"
        "同一工号、学籍号、类别和开始日期的结对再次导入时只更新结束日期和学科；"
        "结束日期留空不会重新开启已结束的结对。"
    )
    columns = COLUMNS

    def plan(
        self, parsed: Rows, *, school: School, semester: Semester | None, by: Any, run: bool = False
    ) -> Plan:
        """The Resource's dry run as the preview; `apply` is its real run (`sheet_plan`)."""
        resource = PairingResource(school=school, by=by, rows=parsed)
        return sheet_plan(self.kind, resource, run=run)

    def export_rows(self, *, school: School) -> Iterable[list[Any]]:
        """The school's pairings, ended ones included, with the same headers as the import."""
        pairings = (
            Pairing.objects.filter(school=school)
            .order_by("teacher__username", "student__student_no", "category", "start")
            .values_list(
                "teacher__username", "student__student_no", "category", "start", "end", "subject"
            )
        )
        for username, student_no, category, start, end, subject in pairings:
            yield [
                username,
                student_no,
                CATEGORY_SHEET_NAMES[Category(category)],
                start,
                end,
                subject,
            ]
