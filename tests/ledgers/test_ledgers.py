"""The ledgers (台账) as Excel files: 结对台账, 帮扶记录台账, 资助台账 and 对象异动台账.

alice is the school's aid office, bob a teacher of the school with his own pairing, dora a
colleague of bob's with a pairing of her own, charlie the aid office of another school."""

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ledgers import ledgers
from pairing.models import Pairing
from students.models import Category, Identification, Role, Semester
from students.selectors import previous_semester_code
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, id_number, login_redirect, text, today
from visits.models import ActivityLog, Channel, Kind, VisitPhoto

pytestmark = pytest.mark.django_db

KINDS = ["pairings", "logs", "aid", "changes"]
TITLES = {
    "pairings": "结对台账",
    "logs": "帮扶记录台账",
    "aid": "资助台账",
    "changes": "对象异动台账",
}
SCHOOL_NAME = "示范县平寨镇中学"


# Given


@pytest.fixture
def school(db):
    return factories.SchoolFactory(name=SCHOOL_NAME)


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def bob(school):
    return factories.make_user(Role.TEACHER, school=school, name="王老师")


@pytest.fixture
def dora(school):
    return factories.make_user(Role.TEACHER, school=school, name="李老师")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def bobs_pairing(school, semester, bob):
    student = factories.StudentFactory(
        school=school,
        name="张小明",
        student_no="G520101201201010001",
        id_number=id_number("52010120120101123"),
        school_class=factories.SchoolClassFactory(school=school, name="七年级(1)班"),
    )
    return factories.PairingFactory(school=school, student=student, teacher=bob)


@pytest.fixture
def doras_pairing(school, semester, dora):
    student = factories.StudentFactory(school=school, name="刘小红", student_no="G5201012012010199")
    return factories.PairingFactory(
        school=school, student=student, teacher=dora, category=Category.POOR
    )


@pytest.fixture
def elsewhere(other_school):
    """A pairing of the other school, with a log and material aid."""
    factories.SemesterFactory(school=other_school)
    student = factories.StudentFactory(school=other_school, name="外校学生")
    pairing = factories.PairingFactory(school=other_school, student=student)
    make_log(pairing)
    make_log(pairing, kind=Kind.MATERIAL_AID, aid_items="书包", aid_amount=Decimal("50"))
    return pairing


def make_log(pairing: Pairing, *, kind: str = Kind.TALK, date: dt.date | None = None, **fields):
    fields.setdefault("content", "聊了学习和生活")
    return ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=kind, date=date or today(), **fields
    )


def withdraw(log: ActivityLog) -> None:
    ActivityLog.objects.filter(pk=log.pk).update(
        withdrawn_at=timezone.now(), withdrawn_reason="记错了学生"
    )


def previous_semester(semester: Semester):
    return factories.SemesterFactory(
        school=semester.school, code=previous_semester_code(semester.code)
    )


# Reading the files


def download(client, kind: str, **params: Any):
    return client.get(f"/ledgers/{kind}/", params)


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, text(response)
    return openpyxl.load_workbook(io.BytesIO(response.content))


def lines(sheet) -> list[str]:
    """The title and the rows about the export, down to the blank row before the table."""
    found = []
    for (value,) in sheet.iter_rows(max_col=1, values_only=True):
        if value is None:
            break
        found.append(value)
    return found


def table(sheet) -> tuple[list[dict[str, Any]], Any]:
    """The rows of the table as {header: value}, and the totals row (None without one)."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(n for n, row in enumerate(rows) if all(v is None for v in row)) + 1
    header = rows[start]
    body = [list(row) for row in rows[start + 1 :]]
    totals = body.pop() if body and str(body[-1][0]).startswith("合计") else None
    return [dict(zip(header, row, strict=True)) for row in body], totals


def every_cell(book: openpyxl.Workbook) -> str:
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def standing_logs(school, semester) -> Any:
    return ActivityLog.objects.filter(
        pairing__school=school,
        withdrawn_at__isnull=True,
        date__gte=semester.start,
        date__lte=semester.end,
    )


# Every ledger: header rows, file name, scope


@pytest.mark.parametrize("kind", KINDS)
def test_each_ledger_opens_and_names_school_period_exporter_and_time(
    kind, school, semester, alice, bobs_pairing
):
    # Given a pairing with a log, when alice downloads the ledger for the current semester
    make_log(bobs_pairing)
    response = download(login(alice), kind)
    # Then it is an Excel file with a Chinese file name
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == f"{TITLES[kind]}_{SCHOOL_NAME}_{semester.code}.xlsx"
    # And its first rows say what, where, when and by whom
    book = workbook(response)
    title, period, exporter, exported_at = lines(book.worksheets[0])
    assert title == f"{SCHOOL_NAME} {TITLES[kind]}"
    assert period == (
        f"统计时段：{semester.label} ({semester.start.isoformat()} 至 {semester.end.isoformat()})"
    )
    assert exporter == f"导出人：资助办甲（{alice.username}）"
    assert re.fullmatch(r"导出时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}", exported_at)
    assert exported_at.removeprefix("导出时间：")[:10] == timezone.localdate().isoformat()
    # And the table's header row is frozen in place
    assert book.worksheets[0].freeze_panes == "A7"


@pytest.mark.parametrize("kind", KINDS)
def test_no_id_number_appears_in_any_ledger(kind, school, semester, alice, bobs_pairing):
    make_log(bobs_pairing, kind=Kind.MATERIAL_AID, aid_items="棉衣", aid_amount=Decimal("80"))
    student = bobs_pairing.student
    book = workbook(download(login(alice), kind))
    cells = every_cell(book)
    assert student.id_number not in cells
    assert student.masked_id_number not in cells
    assert student.id_number[-4:] not in cells


@pytest.mark.parametrize("kind", KINDS)
def test_teachers_ledger_holds_only_their_own_pairings(
    kind, school, semester, bob, bobs_pairing, doras_pairing
):
    # Given bob's and dora's pairings, each with a log and material aid
    for pairing in (bobs_pairing, doras_pairing):
        make_log(pairing)
        make_log(pairing, kind=Kind.MATERIAL_AID, aid_items="文具", aid_amount=Decimal("30"))
    # When bob downloads a ledger
    cells = every_cell(workbook(download(login(bob), kind)))
    # Then his student is in it and dora's is not
    assert "张小明" in cells
    assert "刘小红" not in cells
    assert "李老师" not in cells


def test_teacher_cannot_widen_the_ledger_with_the_offices_filters(
    school, semester, bob, dora, bobs_pairing, doras_pairing
):
    response = download(login(bob), "pairings", teacher=dora.pk)
    rows, _totals = table(workbook(response).worksheets[0])
    assert [row["学生"] for row in rows] == ["张小明"]


def test_principal_gets_the_whole_schools_ledger(school, semester, bobs_pairing, doras_pairing):
    principal = factories.make_user(Role.PRINCIPAL, school=school, name="校长")
    rows, totals = table(workbook(download(login(principal), "pairings")).worksheets[0])
    assert {row["学生"] for row in rows} == {"张小明", "刘小红"}
    assert totals[0] == "合计：2 个结对"


@pytest.mark.parametrize("kind", KINDS)
def test_another_schools_office_never_sees_this_schools_rows(
    kind, school, semester, charlie, bobs_pairing, elsewhere
):
    make_log(bobs_pairing)
    make_log(bobs_pairing, kind=Kind.MATERIAL_AID, aid_items="文具", aid_amount=Decimal("30"))
    book = workbook(download(login(charlie), kind))
    cells = every_cell(book)
    assert "张小明" not in cells and SCHOOL_NAME not in cells
    assert "外校学生" in cells


@pytest.mark.parametrize("path", ["/ledgers/", *[f"/ledgers/{kind}/" for kind in KINDS]])
def test_county_viewer_is_refused(path, school, semester):
    county_viewer = factories.make_user(Role.COUNTY, county=school.county)
    assert login(county_viewer).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/ledgers/", *[f"/ledgers/{kind}/" for kind in KINDS]])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(path)


def test_unknown_ledger_is_404(alice):
    assert login(alice).get("/ledgers/salaries/").status_code == 404


# The page


def test_office_page_offers_period_filters_and_one_button_per_ledger(school, semester, alice):
    page = text(login(alice).get("/ledgers/"))
    assert page.count("导出 Excel") == 4
    for kind in KINDS:
        assert f'formaction="/ledgers/{kind}/"' in page
    assert 'name="school_class"' in page and 'name="teacher"' in page
    assert f'<option value="{semester.pk}" selected>' in page
    assert 'type="date"' in page


def test_teacher_page_has_no_school_filters(school, semester, bob):
    response = login(bob).get("/ledgers/")
    assert response.status_code == 200
    page = text(response)
    assert page.count("导出 Excel") == 4
    assert 'name="teacher"' not in page and 'name="school_class"' not in page


# Period validation


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end", "结束日期不能早于开始日期"),
        ({"start": "2024-01-01", "end": "2026-01-02"}, "end", "时间段不能超过两年"),
        ({"start": "2026-03-01"}, "end", "请填写结束日期"),
        ({"end": "2026-03-01"}, "start", "请填写开始日期"),
    ],
)
def test_bad_period_shows_the_page_with_a_chinese_error_beside_the_field(
    params, field, message, school, semester, alice
):
    response = download(login(alice), "pairings", **params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert message in field_errors(response, field)
    # the typed values are kept
    for value in params.values():
        assert f'value="{value}"' in text(response)


def test_two_years_exactly_is_accepted(school, semester, alice):
    response = download(login(alice), "logs", start="2024-01-01", end="2026-01-01")
    book = workbook(response)
    assert lines(book.worksheets[0])[1] == "统计时段：2024-01-01 至 2026-01-01"
    assert "2024-01-01_2026-01-01" in response["Content-Disposition"]


def test_school_without_semesters_asks_for_dates(school, alice):
    response = download(login(alice), "pairings")
    assert "本校还没有学期" in field_errors(response, "start")


# 结对台账


def test_pairings_ledger_lists_pairings_active_in_the_period_with_their_log_counts(
    school, semester, alice, bobs_pairing, doras_pairing
):
    # Given logs, one of them withdrawn, and a pairing that ended before the semester
    make_log(bobs_pairing)
    make_log(bobs_pairing, kind=Kind.HOME_VISIT, visit_place="家中")
    withdraw(make_log(bobs_pairing))
    make_log(doras_pairing)
    factories.PairingFactory(
        school=school,
        start=semester.start - dt.timedelta(days=200),
        end=semester.start - dt.timedelta(days=1),
        end_reason=Pairing.EndReason.GRADUATED,
        identified=False,
    )
    # When alice downloads the pairings ledger
    rows, totals = table(workbook(download(login(alice), "pairings")).worksheets[0])
    # Then each active pairing is a row with its standing logs counted
    by_student = {row["学生"]: row for row in rows}
    assert set(by_student) == {"张小明", "刘小红"}
    bobs = by_student["张小明"]
    assert bobs["教师"] == "王老师"
    assert bobs["工号"] == bobs_pairing.teacher.username
    assert bobs["学籍号"] == "G520101201201010001"
    assert bobs["班级"] == "七年级(1)班"
    assert bobs["类别"] == "留守"
    assert bobs["开始日期"].date() == bobs_pairing.start
    assert bobs["帮扶记录数"] == 2
    # And the totals are the database's
    active = Pairing.objects.filter(school=school, start__lte=semester.end).filter(
        Q(end__isnull=True) | Q(end__gte=semester.start)
    )
    assert totals[0] == f"合计：{active.count()} 个结对"
    assert totals[-1] == standing_logs(school, semester).count() == 3


def test_pairings_ledger_narrows_to_a_teacher_and_a_category(
    school, semester, alice, dora, bobs_pairing, doras_pairing
):
    response = download(login(alice), "pairings", teacher=dora.pk, category=Category.POOR)
    book = workbook(response)
    assert lines(book.worksheets[0])[2] == f"筛选：类别 贫困；教师 李老师（{dora.username}）"
    rows, totals = table(book.worksheets[0])
    assert [row["学生"] for row in rows] == ["刘小红"]
    assert totals[0] == "合计：1 个结对"


# 帮扶记录台账


def test_logs_ledger_lists_standing_logs_and_totals_per_kind(
    school, semester, alice, bobs_pairing, doras_pairing
):
    # Given logs of several kinds, a withdrawn one and a photo
    visit = make_log(
        bobs_pairing,
        kind=Kind.HOME_VISIT,
        visit_place="家中",
        content="了解家庭情况" * 20,
        channel=Channel.IN_PERSON,
    )
    VisitPhoto.objects.create(log=visit, image="photos/x.jpg", width=1, height=1)
    make_log(bobs_pairing, channel=Channel.PHONE, content='=HYPERLINK("http://x")')
    make_log(doras_pairing, kind=Kind.MATERIAL_AID, aid_items="书包", aid_amount=Decimal("60"))
    withdraw(make_log(doras_pairing, content="撤回的记录"))
    # When alice downloads the logs ledger
    book = workbook(download(login(alice), "logs"))
    rows, totals = table(book.worksheets[0])
    # Then the withdrawn log is left out
    assert len(rows) == standing_logs(school, semester).count() == 3
    assert "撤回的记录" not in every_cell(book)
    visit_row = next(row for row in rows if row["措施类型"] == "家访")
    assert visit_row["是否有照片"] == "是"
    assert visit_row["方式"] == "当面"
    assert visit_row["学生"] == "张小明" and visit_row["教师"] == "王老师"
    assert len(visit_row["内容摘要"]) == 81 and visit_row["内容摘要"].endswith("…")
    assert totals[0] == "合计：3 条"
    # And text that looks like a formula stays text
    sheet = book.worksheets[0]
    formula_like = [
        c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")'
    ]
    assert formula_like and formula_like[0].data_type == "s"
    # And the second sheet counts each kind as the database does
    assert book.sheetnames[1] == "按措施类型汇总"
    kinds, kind_totals = table(book.worksheets[1])
    expected = dict(
        standing_logs(school, semester).values_list("kind").annotate(n=Count("pk")).order_by()
    )
    counted = {row["措施类型"]: row["记录数"] for row in kinds}
    assert counted == {kind.label: expected.get(kind.value, 0) for kind in Kind}
    assert kind_totals[1] == sum(expected.values())


# 资助台账


def test_aid_ledger_rows_and_totals_per_student_match_the_database(
    school, semester, alice, bobs_pairing, doras_pairing
):
    # Given material aid for two students, one without an amount, and a withdrawn one
    make_log(bobs_pairing, kind=Kind.MATERIAL_AID, aid_items="棉衣", aid_amount=Decimal("120.50"))
    make_log(bobs_pairing, kind=Kind.MATERIAL_AID, aid_items="文具", aid_amount=Decimal("35.20"))
    make_log(doras_pairing, kind=Kind.MATERIAL_AID, aid_items="图书")
    withdraw(
        make_log(doras_pairing, kind=Kind.MATERIAL_AID, aid_items="错记", aid_amount=Decimal("999"))
    )
    make_log(doras_pairing)  # not aid
    # When alice downloads the aid ledger
    book = workbook(download(login(alice), "aid"))
    # Then one row per standing aid record, amounts as numbers with two decimals
    aid = standing_logs(school, semester).filter(kind=Kind.MATERIAL_AID)
    database = aid.aggregate(n=Count("pk"), amount=Sum("aid_amount"))
    rows, totals = table(book.worksheets[0])
    assert len(rows) == database["n"] == 3
    assert {row["资助物品"] for row in rows} == {"棉衣", "文具", "图书"}
    assert totals[0] == "合计：3 次"
    assert Decimal(str(totals[-1])) == database["amount"] == Decimal("155.70")
    amounts = [
        c for (c,) in book.worksheets[0].iter_rows(min_row=7, min_col=7, max_col=7) if c.value
    ]
    assert amounts and all(c.number_format == "0.00" for c in amounts)
    # And the second sheet sums per student
    assert book.sheetnames == ["资助台账", "按学生汇总"]  # one semester: no third sheet
    students, student_totals = table(book.worksheets[1])
    per_student = {
        row["pairing__student__name"]: row
        for row in aid.values("pairing__student__name").annotate(
            n=Count("pk"), amount=Sum("aid_amount")
        )
    }
    for row in students:
        assert row["资助次数"] == per_student[row["学生"]]["n"]
        assert Decimal(str(row["金额(元)"])) == (per_student[row["学生"]]["amount"] or 0)
    assert student_totals[0] == "合计：2 名学生"
    assert student_totals[3] == 3
    assert Decimal(str(student_totals[4])) == database["amount"]


def test_aid_ledger_over_two_semesters_adds_subtotals_per_semester(
    school, semester, alice, bobs_pairing
):
    # Given the semester before, and aid in each of the two
    before = previous_semester(semester)
    Pairing.objects.filter(pk=bobs_pairing.pk).update(start=before.start)
    make_log(bobs_pairing, kind=Kind.MATERIAL_AID, aid_items="棉衣", aid_amount=Decimal("100"))
    make_log(
        bobs_pairing,
        kind=Kind.MATERIAL_AID,
        aid_items="书包",
        aid_amount=Decimal("40.5"),
        date=before.start,
    )
    # When alice downloads the aid ledger from the start of the one before until today
    book = workbook(
        download(login(alice), "aid", start=before.start.isoformat(), end=today().isoformat())
    )
    # Then a third sheet sums per semester, and agrees with the grand total
    assert book.sheetnames == ["资助台账", "按学生汇总", "按学期汇总"]
    terms, term_totals = table(book.worksheets[2])
    assert [(row["学期"], row["资助次数"]) for row in terms] == [
        (before.label, 1),
        (semester.label, 1),
    ]
    assert Decimal(str(terms[0]["金额(元)"])) == Decimal("40.50")
    assert Decimal(str(term_totals[3])) == Decimal("140.50")
    _rows, totals = table(book.worksheets[0])
    assert Decimal(str(totals[-1])) == Decimal("140.50")


# 对象异动台账


def test_changes_ledger_lists_identifications_renewals_and_pairings_ended(
    school, semester, alice, bob, bobs_pairing
):
    # Given the semester before, with a student identified as poor then and not now
    before = previous_semester(semester)
    student = bobs_pairing.student
    dropped = Identification.objects.create(
        student=student,
        semester=before,
        category=Category.POOR,
        source=Identification.Source.SUBSISTENCE,
        state=Identification.State.APPROVED,
        approved_at=timezone.now(),
    )
    long_ago = timezone.make_aware(dt.datetime.combine(before.start, dt.time(10)))
    Identification.objects.filter(pk=dropped.pk).update(created_at=long_ago, approved_at=long_ago)
    # And a proposal made this semester by bob and approved by alice
    proposal = Identification.objects.create(
        student=student,
        semester=semester,
        category=Category.STRUGGLING,
        proposed_by=bob,
    )
    Identification.objects.filter(pk=proposal.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    Identification.objects.filter(pk=proposal.pk).update(
        state=Identification.State.APPROVED, approved_by=alice, approved_at=timezone.now()
    )
    # And a pairing ended because the student transferred
    moved = factories.PairingFactory(school=school, category=Category.PROBLEM)
    Pairing.objects.filter(pk=moved.pk).update(
        end=today(), end_reason=Pairing.EndReason.TRANSFERRED
    )
    # When alice downloads the changes ledger
    rows, totals = table(workbook(download(login(alice), "changes")).worksheets[0])
    # Then each change is a row
    found = {(row["学生"], row["类别"], row["变动"]): row for row in rows}
    approved = found[("张小明", "学困", "审核通过")]
    assert approved["经办人"] == f"资助办甲（{alice.username}）"
    assert approved["认定来源"] == "学校认定"
    assert found[("张小明", "学困", "提出认定")]["经办人"] == f"王老师（{bob.username}）"
    left = found[("张小明", "贫困", f"退出（{semester.label}未再认定）")]
    assert left["日期"].date() == semester.start
    assert left["认定来源"] == "民政低保"
    assert (moved.student.name, "问题", "转学（结对结束）") in found
    # The factories' own identifications of this semester are direct ones
    assert found[("张小明", "留守", "新认定")]["学籍号"] == "G520101201201010001"
    assert totals[0] == f"合计：{len(rows)} 项"


# Queries


QUERIES = {"pairings": 7, "logs": 8, "aid": 9, "changes": 10}  # each with its access-log entry


def populate(school, semester, size: int) -> None:
    """`size` pairings with logs of several kinds, aid, a photo, a withdrawn log, a proposal
    and an identification of the semester before that was not renewed."""
    before = previous_semester(semester)
    for n in range(size):
        pairing = factories.PairingFactory(school=school, category=Category.POOR)
        make_log(pairing)
        visit = make_log(pairing, kind=Kind.HOME_VISIT, visit_place="家中")
        VisitPhoto.objects.create(log=visit, image="photos/x.jpg", width=1, height=1)
        make_log(pairing, kind=Kind.MATERIAL_AID, aid_items="文具", aid_amount=Decimal(n))
        withdraw(make_log(pairing))
        Identification.objects.create(
            student=pairing.student, semester=semester, category=Category.STRUGGLING
        )
        Identification.objects.create(
            student=pairing.student,
            semester=before,
            category=Category.PROBLEM,
            state=Identification.State.APPROVED,
            approved_at=timezone.now(),
        )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [2, 16])
def test_query_count_does_not_grow_with_the_school(
    kind, size, school, semester, alice, django_assert_num_queries
):
    populate(school, semester, size)
    client = login(alice)
    with django_assert_num_queries(QUERIES[kind]):
        response = download(client, kind)
    rows, _totals = table(workbook(response).worksheets[0])
    assert len(rows) >= size


# A ledger that fails half-way


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side cursors are PostgreSQL's"
)
@pytest.mark.parametrize("kind", ["logs", "aid"])
def test_a_ledger_failing_half_way_leaves_no_server_side_cursor_open(
    kind, monkeypatch, school, semester, alice, bobs_pairing
):
    # Given logs to list, and a workbook that fails after its first row
    for _ in range(3):
        make_log(bobs_pairing, kind=Kind.MATERIAL_AID, aid_items="棉衣", aid_amount=Decimal("80"))

    def failing_sheet(workbook, *, rows, **kwargs):
        next(iter(rows))
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledgers, "report_sheet", failing_sheet)
    # When the ledger is built, and fails
    with pytest.raises(RuntimeError) as failure:
        ledgers.ledger_xlsx(
            kind=kind, user=alice, school=school, period=ledgers.period_of(semester)
        )
    # Then, while the failure is still held, no cursor of the iterator is left open
    assert failure.value is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone() == (0,)
