import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from aidcase.audit import IMPORT_REASON
from aidcase.spreadsheets import parse, read_table, workbook_bytes
from imports.services import import_file
from pairing.models import Pairing
from pairing.resources import PairingsSheet
from pairing.services import pairing_create
from students.models import Category, Identification, Role, Semester, semester_default_dates
from students.selectors import previous_semester_code, semester_code_for
from students.services import identification_reject
from tests import factories

pytestmark = pytest.mark.django_db

TERM = "2025-2026-1"
START = dt.date(2025, 9, 1)
# A pairing still to come: nothing is filled in for it.
NEXT_YEAR = dt.date(timezone.localdate().year + 1, 9, 1)


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    return workbook_bytes(title="结对名单", columns=PairingsSheet.columns, rows=rows)


def run(school, data: bytes, *, by=None):
    return import_file(kind="pairings", file=io.BytesIO(data), name="x.xlsx", school=school, by=by)


def counts(result: dict[str, int]) -> dict[str, int]:
    """The pairings an import made and changed, leaving out the identifications filled in."""
    return {"new": result["new"], "changed": result["changed"]}


def errors_of(plan) -> list[str]:
    return [str(error) for error in plan.errors]


@pytest.fixture
def term(school):
    return factories.SemesterFactory(school=school, code=TERM)


@pytest.fixture
def teacher(school):
    return factories.make_user(Role.TEACHER, school=school, user__username="T001")


def identified(student, term, *categories: str):
    for category in categories:
        factories.IdentificationFactory(student=student, semester=term, category=category)
    return student


@pytest.fixture
def student(school, term):
    student = factories.StudentFactory(school=school, student_no="G001")
    return identified(student, term, Category.LEFT_BEHIND, Category.STRUGGLING)


def test_new_pairings_are_created(school, teacher, student):
    # given an office user and a file with an open and an ended pairing
    office = factories.make_user(Role.OFFICE, school=school)
    rows = [
        ("T001", "G001", "留守", "2025-09-01"),
        ("T001", "G001", "学困", "2025/9/1", "2025年12月31日", "数学"),
    ]
    # when it is imported
    plan, result = run(school, xlsx(rows), by=office)
    # then both pairings exist as written, the ended one with the reason "other"
    assert plan.errors == []
    assert counts(result) == {"new": 2, "changed": 0}
    assert sorted(
        Pairing.objects.values_list(
            "school", "teacher", "student", "category", "start", "end", "end_reason", "subject"
        )
    ) == [
        (school.pk, teacher.pk, student.pk, "left_behind", START, None, "", ""),
        (
            school.pk,
            teacher.pk,
            student.pk,
            "struggling",
            START,
            dt.date(2025, 12, 31),
            "other",
            "数学",
        ),
    ]
    assert set(Pairing.objects.values_list("created_by", flat=True)) == {office.pk}


def test_the_same_file_twice_changes_nothing(school, teacher, student):
    data = xlsx([("T001", "G001", "留守", START), ("T001", "G001", "学困", START, None, "数学")])
    run(school, data)
    plan, result = run(school, data)
    assert [c.action for c in plan.changes] == ["unchanged", "unchanged"]
    assert counts(result) == {"new": 0, "changed": 0}
    assert Pairing.objects.count() == 2


def test_a_changed_row_updates_its_pairing(school, teacher, student):
    # given an open struggling pairing for maths
    run(school, xlsx([("T001", "G001", "学困", START, None, "数学")]))
    # when a file ends it and changes the subject
    plan, result = run(school, xlsx([("T001", "G001", "学困", START, "2026-01-20", "语文")]))
    # then both are reported and saved
    assert [(c.action, c.fields) for c in plan.changes] == [("changed", ["结束日期", "学科"])]
    assert counts(result) == {"new": 0, "changed": 1}
    pairing = Pairing.objects.get()
    assert (pairing.end, pairing.end_reason, pairing.subject) == (
        dt.date(2026, 1, 20),
        "other",
        "语文",
    )


def test_a_blank_end_date_does_not_reopen_an_ended_pairing(school, teacher, student):
    run(school, xlsx([("T001", "G001", "留守", START, "2025-12-31")]))
    plan, _result = run(school, xlsx([("T001", "G001", "留守", START)]))
    assert [c.action for c in plan.changes] == ["unchanged"]
    assert Pairing.objects.get().end == dt.date(2025, 12, 31)


def test_a_file_may_end_an_open_pairing_and_start_the_next(school, teacher, student, term):
    # given an open pairing, and a file that ends it and starts a new one the next day
    run(school, xlsx([("T001", "G001", "留守", START)]))
    rows = [("T001", "G001", "留守", START, "2025-10-31"), ("T001", "G001", "留守", "2025-11-01")]
    # when it is imported, then both happen
    plan, result = run(school, xlsx(rows))
    assert plan.errors == []
    assert counts(result) == {"new": 1, "changed": 1}
    assert list(Pairing.objects.order_by("start").values_list("start", "end")) == [
        (START, dt.date(2025, 10, 31)),
        (dt.date(2025, 11, 1), None),
    ]


@pytest.fixture
def others(other_school):
    factories.make_user(Role.TEACHER, school=other_school, user__username="X001")
    factories.StudentFactory(school=other_school, student_no="X002")


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            ("T404", "G001", "留守", START),
            "工作表「结对名单」第 2 行「工号」：本校没有这个工号的教师",
        ),
        (
            ("X001", "G001", "留守", START),
            "工作表「结对名单」第 2 行「工号」：该工号属于其他学校的账号",
        ),
        (
            ("T001", "G404", "留守", START),
            "工作表「结对名单」第 2 行「学籍号」：本校没有这个学籍号的学生",
        ),
        (
            ("T001", "X002", "留守", START),
            "工作表「结对名单」第 2 行「学籍号」：该学籍号属于其他学校的学生",
        ),
        (
            ("T001", "G001", "问题", NEXT_YEAR),
            "工作表「结对名单」"
            "第 2 行「类别」：该学生在开始日期所在学期未被认定为“问题学生”，请先完成类别认定",
        ),
        (
            ("T001", "G001", "问题", "2020-09-01"),
            "工作表「结对名单」"
            "第 2 行「开始日期」：结对早于该学生入学（2024 年），无法补录类别认定",
        ),
        (
            ("T001", "G001", "孤儿", START),
            "工作表「结对名单」第 2 行「类别」：无法识别的类别“孤儿”",
        ),
        (
            ("T001", "G001", "留守", "2025-13-01"),
            "工作表「结对名单」第 2 行「开始日期」：日期格式不正确",
        ),
        (("T001", "G001", "留守", ""), "工作表「结对名单」第 2 行「开始日期」：不能为空"),
        (
            ("T001", "G001", "留守", START, "2025-08-01"),
            "工作表「结对名单」第 2 行「结束日期」：结束日期不能早于",
        ),
        (
            ("T001", "G001", "留守", START, None, "数学"),
            "工作表「结对名单」第 2 行「学科」：只有学困结对可以填写学科",
        ),
    ],
)
def test_bad_rows_are_reported_with_row_and_column(school, teacher, student, others, row, error):
    plan, result = run(school, xlsx([row]))
    assert errors_of(plan)[0].startswith(error)
    assert result is None
    assert not Pairing.objects.exists()


def test_a_proposed_identification_is_not_enough(school, teacher, term):
    student = factories.StudentFactory(school=school, student_no="G002")
    factories.IdentificationFactory(
        student=student, semester=term, category=Category.POOR, state=Identification.State.PROPOSED
    )
    plan, _result = run(school, xlsx([("T001", "G002", "贫困", START)]))
    assert errors_of(plan) == [
        "工作表「结对名单」"
        "第 2 行「类别」：该学生 2025-2026-1 学期“家庭经济困难学生”的认定还在待审核，"
        "请先审核后再导入"
    ]


def test_the_summer_holiday_belongs_to_the_term_before(school, teacher, student):
    # given the student identified in term 2 of the year before only
    spring = factories.SemesterFactory(school=school, code="2024-2025-2")
    identified(factories.StudentFactory(school=school, student_no="G003"), spring, Category.POOR)
    # when a pairing starts in August, then that term's identification counts
    plan, _result = run(school, xlsx([("T001", "G003", "贫困", "2025-08-15")]))
    assert plan.errors == []


def test_a_deactivated_teacher_gets_no_new_pairing(school, teacher, student):
    teacher.is_active = False
    teacher.save()
    plan, _result = run(school, xlsx([("T001", "G001", "留守", START)]))
    assert errors_of(plan) == ["工作表「结对名单」第 2 行「工号」：该教师账号已停用，不能新建结对"]


def test_a_second_open_pairing_is_refused(school, teacher, student):
    # given an open pairing started on 1 September
    run(school, xlsx([("T001", "G001", "留守", START)]))
    # when a file opens another for the same teacher, student and category
    plan, _result = run(school, xlsx([("T001", "G001", "留守", "2025-10-01")]))
    # then it is refused
    assert errors_of(plan) == [
        "工作表「结对名单」"
        "第 2 行「开始日期」：该教师与该学生在此类别下已有进行中的结对（开始日期 2025-09-01），"
        "请先填写那个结对的结束日期"
    ]


def test_every_error_is_listed_and_nothing_is_saved(school, teacher, student):
    # given a file with good rows, a repeated key and two open pairings of the same kind
    rows = [
        ("T001", "G001", "学困", START),
        ("T001", "G001", "学困", START),
        ("T001", "G001", "留守", START),
        ("T001", "G001", "留守", "2025-10-01"),
    ]
    # when it is imported
    plan, result = run(school, xlsx(rows))
    # then each problem is listed and nothing is saved
    assert errors_of(plan) == [
        "工作表「结对名单」第 3 行「工号、学籍号、类别、开始日期」：与第 2 行重复",
        "工作表「结对名单」"
        "第 5 行「开始日期」：与第 4 行都是进行中的结对：同一教师、学生和类别只能有一个",
    ]
    assert result is None
    assert not Pairing.objects.exists()


def test_export_then_import_changes_nothing(school, teacher, student, other_school):
    # given open and ended pairings, and a pairing of another school
    run(
        school,
        xlsx(
            [
                ("T001", "G001", "留守", START, "2025-12-31"),
                ("T001", "G001", "学困", START, None, "数学"),
            ]
        ),
    )
    factories.PairingFactory(school=other_school)
    with translation.override("en"):  # cells stay in the sheet's language
        rows = list(PairingsSheet().export_rows(school=school))
    # when the export is imported again
    plan, result = run(school, xlsx(rows))
    # then it holds the school's pairings only, unchanged
    assert rows == [
        ["T001", "G001", "留守", START, dt.date(2025, 12, 31), ""],
        ["T001", "G001", "学困", START, None, "数学"],
    ]
    assert [c.action for c in plan.changes] == ["unchanged", "unchanged"]
    assert counts(result) == {"new": 0, "changed": 0}


def test_a_plan_takes_as_many_queries_for_fifty_rows_as_for_five(
    school, term, teacher, django_assert_num_queries
):
    # given fifty identified students, half of them already paired
    for n in range(50):
        student = factories.StudentFactory(school=school, student_no=f"G{n:03d}")
        identified(student, term, Category.LEFT_BEHIND)
    run(school, xlsx([("T001", f"G{n:03d}", "留守", START) for n in range(0, 50, 2)]))
    sheet = PairingsSheet()

    def plan(count: int):
        rows = [("T001", f"G{n:03d}", "留守", START) for n in range(count)]
        parsed = parse(
            read_table(io.BytesIO(xlsx(rows)), sheet.columns, name="x.xlsx"), sheet.columns
        )
        return sheet.plan(parsed, school=school, semester=None, by=None)

    # when planning 5 rows and 50, then the number of queries is the same
    with django_assert_num_queries(6):
        small = plan(5)
    with django_assert_num_queries(6):
        large = plan(50)
    assert (small.count("new"), large.count("new")) == (2, 25)


def test_command_refuses_a_bad_file(school, teacher, student, tmp_path):
    path = tmp_path / "pairings.xlsx"
    path.write_bytes(xlsx([("T001", "G404", "留守", START)]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="共 1 处错误"):
        call_command("import_xlsx", "pairings", str(path), "--school", school.code, stderr=err)
    assert "工作表「结对名单」第 2 行「学籍号」：本校没有这个学籍号的学生" in err.getvalue()
    assert not Pairing.objects.exists()


def test_command_imports_pairings(school, teacher, student, tmp_path):
    path = tmp_path / "pairings.xlsx"
    path.write_bytes(xlsx([("T001", "G001", "留守", START)]))
    out = io.StringIO()
    call_command("import_xlsx", "pairings", str(path), "--school", school.code, stdout=out)
    assert "新增 1 行" in out.getvalue()
    assert "一次性密码" not in out.getvalue()
    assert Pairing.objects.filter(teacher=teacher, student=student).exists()


# Historical pairings (DESIGN "Pairing"): a school starting with AidCase imports its roster with
# the current categories only, and pairings that began years before. Dates are counted back
# from the current semester, so that the tests hold as time passes.
CURRENT = semester_code_for(timezone.localdate())


def back(n: int) -> str:
    """The code of the semester n terms before the current one."""
    code = CURRENT
    for _n in range(n):
        code = previous_semester_code(code)
    return code


def opening(code: str, days: int = 0) -> dt.date:
    return semester_default_dates(code)[0] + dt.timedelta(days=days)


@pytest.fixture
def newcomer(school, teacher):
    """A school that has only its current semester, a student identified in it (the roster's
    current categories) and entered three years ago."""
    current = factories.SemesterFactory(school=school, code=CURRENT)
    cohort = factories.CohortFactory(school=school, entry_year=timezone.localdate().year - 3)
    student = factories.StudentFactory(school=school, student_no="G010", cohort=cohort)
    return identified(student, current, Category.LEFT_BEHIND, Category.STRUGGLING)


def history_rows(newcomer) -> list[tuple[Any, ...]]:
    # An open left-behind pairing from four terms back, and an ended struggling one that ran
    # from three terms back into the term after.
    return [
        ("T001", "G010", "留守", opening(back(4), 14)),
        ("T001", "G010", "学困", opening(back(3), 10), opening(back(2), 20), "数学"),
    ]


def identifications_of(student) -> list[tuple[str, str, str]]:
    return sorted(
        Identification.objects.filter(student=student).values_list(
            "semester__code", "category", "source"
        )
    )


def test_an_older_pairing_fills_in_the_semesters_it_covers(school, teacher, newcomer):
    # given a school with its current semester only, and a pairings file reaching years back
    office = factories.make_user(Role.OFFICE, school=school)
    # when it is imported
    plan, result = run(school, xlsx(history_rows(newcomer)), by=office)
    # then both pairings exist, and the student is identified in each category for every
    # semester its pairing covers: the ended one only up to its end
    assert plan.errors == []
    assert result == {"new": 2, "changed": 0, "identifications": 6, "semesters": 4}
    filled = Identification.Source.PAIRING_LIST
    assert identifications_of(newcomer) == sorted(
        [
            *[(back(n), "left_behind", filled) for n in (4, 3, 2, 1)],
            *[(back(n), "struggling", filled) for n in (3, 2)],
            (CURRENT, "left_behind", "school"),
            (CURRENT, "struggling", "school"),
        ]
    )
    added = Identification.objects.filter(source=filled)
    assert {(i.state, i.note, i.approved_by_id) for i in added} == {
        (Identification.State.APPROVED, "由结对名单补录", office.pk)
    }
    # with a "created" history entry each, naming the import
    assert set(
        Identification.history.filter(source=filled).values_list(
            "history_type", "history_change_reason", "history_user"
        )
    ) == {("+", IMPORT_REASON, office.pk)}
    # and the semesters it named are created with default dates
    for n in (4, 3, 2, 1):
        semester = Semester.objects.get(school=school, code=back(n))
        assert (semester.start, semester.end) == semester_default_dates(back(n))


def test_the_preview_lists_the_semesters_and_identifications_to_be_added(school, teacher, newcomer):
    # when the file is checked without importing
    plan, result = import_file(
        kind="pairings",
        file=io.BytesIO(xlsx(history_rows(newcomer))),
        name="x.xlsx",
        school=school,
        dry_run=True,
    )
    # then the preview lists what would be added, and nothing is saved
    assert plan.errors == []
    assert plan.creates == [
        *[f"学期：{back(n)}" for n in (4, 3, 2, 1)],
        f"类别认定（结对名单补录）：G010 留守 {back(4)}、{back(3)}、{back(2)}、{back(1)}",
        f"类别认定（结对名单补录）：G010 学困 {back(3)}、{back(2)}",
    ]
    assert result is None
    assert not Pairing.objects.exists()
    assert Semester.objects.filter(school=school).count() == 1
    assert Identification.objects.count() == 2


def test_a_historical_pairings_file_imported_again_changes_nothing(school, teacher, newcomer):
    data = xlsx(history_rows(newcomer))
    run(school, data)
    before = identifications_of(newcomer)
    plan, result = run(school, data)
    assert [c.action for c in plan.changes] == ["unchanged", "unchanged"]
    assert plan.creates == []
    assert result == {"new": 0, "changed": 0, "identifications": 0, "semesters": 0}
    assert identifications_of(newcomer) == before


def test_an_identification_in_some_covered_semesters_fills_only_the_others(
    school, teacher, newcomer
):
    # given the student already identified two terms back
    identified(
        newcomer, factories.SemesterFactory(school=school, code=back(2)), Category.LEFT_BEHIND
    )
    # when a pairing from four terms back is imported
    plan, result = run(school, xlsx([("T001", "G010", "留守", opening(back(4), 14))]))
    # then the semesters without an identification are filled in
    assert plan.errors == []
    assert result["identifications"] == 3
    assert [c for c, cat, _s in identifications_of(newcomer) if cat == "left_behind"] == sorted(
        [back(4), back(3), back(2), back(1), CURRENT]
    )


def test_a_refused_identification_blocks_the_row(school, teacher, newcomer):
    # given the student proposed as left-behind a term back, and the proposal refused
    earlier = factories.SemesterFactory(school=school, code=back(1))
    proposal = factories.IdentificationFactory(
        student=newcomer,
        semester=earlier,
        category=Category.LEFT_BEHIND,
        state=Identification.State.PROPOSED,
        approved_at=None,
    )
    identification_reject(identification=proposal, by=None)
    # when a pairing covering that term is imported
    plan, result = run(school, xlsx([("T001", "G010", "留守", opening(back(2), 14))]))
    # then the row is refused, and nothing is saved
    assert errors_of(plan) == [
        f"工作表「结对名单」"
        f"第 2 行「类别」：该学生 {back(1)} 学期“留守学生”的认定曾被驳回，不能按结对名单补录；"
        "请核对开始日期和结束日期，或先在该学期重新认定"
    ]
    assert result is None
    assert not Pairing.objects.exists()
    assert identifications_of(newcomer) == [
        (CURRENT, "left_behind", "school"),
        (CURRENT, "struggling", "school"),
    ]
    assert Semester.objects.filter(school=school).count() == 2


def test_the_command_lists_what_it_adds(school, teacher, newcomer, tmp_path):
    path = tmp_path / "pairings.xlsx"
    path.write_bytes(xlsx(history_rows(newcomer)))
    out = io.StringIO()
    call_command("import_xlsx", "pairings", str(path), "--school", school.code, stdout=out)
    assert f"将新建 类别认定（结对名单补录）：G010 学困 {back(3)}、{back(2)}" in out.getvalue()
    assert f"将新建 学期：{back(4)}" in out.getvalue()


def test_a_pairing_made_by_hand_still_needs_the_identification(school, teacher, newcomer):
    # given the student identified in the current semester only
    # when a pairing starting two terms back is made with the form's service
    with pytest.raises(ValidationError) as raised:
        pairing_create(
            school=school,
            teacher=teacher,
            student=newcomer,
            category=Category.LEFT_BEHIND,
            start=opening(back(2), 14),
            by=None,
        )
    # then it is refused, and nothing is filled in
    assert raised.value.message_dict["category"] == [
        "该学生在开始日期所在学期未被认定为“留守学生”，请先完成类别认定"
    ]
    assert not Pairing.objects.exists()
    assert Identification.objects.count() == 2
