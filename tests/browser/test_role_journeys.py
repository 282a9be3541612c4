"""Each role's main work in Chromium, as the user does it (taps, not typed addresses, where the
user taps), on a 390×844 phone in Chinese; every page reached is checked by axe at 390 and
1366 px in both languages and must not scroll sideways (axe.check_everywhere)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessment import services as assessment_services
from assessment.models import Questionnaire, Sheet
from pairing.models import Pairing
from students.models import Category, Role
from tests import factories
from tests.browser.axe import check_everywhere
from tests.browser.test_aid_journeys import log_in
from visits.models import ActivityLog, Incident, Kind

pytestmark = pytest.mark.django_db(transaction=True)


def log_from_me(
    page: Page,
    kind_label: str,
    content: str,
    extra: dict[str, str] | None = None,
    channel: str = "当面",
) -> None:
    """From /me/, 记录其他帮扶 → the kind and the way → the content (and the kind's own
    fields) → 保存记录."""
    page.get_by_role("link", name="记录其他帮扶").click()
    page.get_by_label("类型", exact=True).select_option(label=kind_label)
    page.get_by_label("方式", exact=True).select_option(label=channel)
    for label, value in (extra or {}).items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("内容", exact=True).fill(content)
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_role("status")).to_contain_text(f"已记录：{kind_label} · 李小花")


def test_the_teacher_logs_each_kind_records_an_incident_and_reads_her_sheet(
    page: Page, live_server, media, photo
):
    # Given a homeroom teacher paired with a poor student of her class since the semester began
    school = factories.SchoolFactory(name="青山县第一中学")
    semester = factories.SemesterFactory(school=school)
    teacher = factories.make_user(Role.TEACHER, school=school, name="王老师")
    office = factories.make_user(Role.OFFICE, school=school, name="资助办甲")
    school_class = factories.SchoolClassFactory(
        school=school, name="七(1)班", homeroom_teacher=teacher
    )
    student = factories.StudentFactory(
        school=school, name="李小花", school_class=school_class, cohort=school_class.cohort
    )
    pairing = factories.PairingFactory(
        school=school, teacher=teacher, student=student, category=Category.POOR,
        start=semester.start,
    )  # fmt: skip
    if not semester.start <= timezone.localdate() <= semester.end:
        pytest.skip("today is between two semesters: nothing can be logged for today")

    # When she logs in, she lands on /me/ with the talk owed
    log_in(page, live_server, teacher.username)
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.locator("h1")).to_have_text("我的帮扶学生")
    check_everywhere(page)

    # and logs the talk from its duty
    page.locator(".duties a", has_text="交流生活、学习情况").click()
    expect(page.locator("h1")).to_contain_text("记录帮扶 · 李小花")
    check_everywhere(page)
    page.get_by_label("内容", exact=True).fill("聊了这周的学习，她数学进步了。")
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_role("status")).to_contain_text("已记录：谈心谈话 · 李小花")

    # then a call to her mother, an hour of tutoring and the school's winter aid
    log_from_me(page, "家长联系", "给妈妈打电话，说了孩子的进步。", channel="电话")
    log_from_me(page, "学业辅导", "午休时辅导了一次函数。")
    log_from_me(page, "物质资助", "发放冬衣一件。", {"资助物品": "冬衣", "资助金额（元）": "120"})

    # and a home visit: saved without its place, the form is refused and says so at its top
    page.get_by_role("link", name="记录其他帮扶").click()
    expect(page.get_by_label("类型", exact=True)).to_be_visible()
    check_everywhere(page)
    page.get_by_label("类型", exact=True).select_option(label="家访")
    page.get_by_label("内容", exact=True).fill("与奶奶交流了孩子的饮食和作息。")
    page.locator("input[type=file][name=photos]").set_input_files(photo)
    page.get_by_role("button", name="保存记录").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("家访须填写地点")
    check_everywhere(page, posted=True)
    page.get_by_label("家访地点", exact=True).fill("李家寨村二组家中")
    page.get_by_role("button", name="保存记录").click()
    expect(page.locator("ul.messages")).to_contain_text("已记录：家访 · 李小花")

    # Then the student's page lists the five, the home visit with its photo
    page.get_by_role("link", name="李小花").first.click()
    timeline = page.locator(".timeline")
    for label in ("谈心谈话", "家长联系", "学业辅导", "物质资助", "家访"):
        expect(timeline.locator("li", has_text=label).first).to_be_visible()
    visit = timeline.locator("li", has_text="家访").first
    expect(visit).to_contain_text("📷 1")
    check_everywhere(page)
    logs = ActivityLog.objects.filter(pairing=pairing)
    assert sorted(logs.values_list("kind", flat=True)) == sorted(
        [Kind.TALK, Kind.PARENT_CONTACT, Kind.TUTORING, Kind.MATERIAL_AID, Kind.HOME_VISIT]
    )
    assert logs.get(kind=Kind.PARENT_CONTACT).channel == "phone"
    aid = logs.get(kind=Kind.MATERIAL_AID)
    assert (aid.aid_items, str(aid.aid_amount)) == ("冬衣", "120.00")
    assert logs.get(kind=Kind.HOME_VISIT).photos.count() == 1

    # and the home visit's own page shows the photo
    visit.get_by_role("link").click()
    expect(page.get_by_role("img", name="家访照片 1")).to_be_visible()
    check_everywhere(page)

    # When she records that the student skipped a class, as her homeroom teacher
    page.go_back()
    expect(page.locator("h1")).to_contain_text("李小花")
    page.get_by_role("link", name="记录违纪事件").click()
    expect(page.get_by_label("类型", exact=True)).to_be_visible()
    check_everywhere(page)
    page.get_by_label("类型", exact=True).select_option(label="逃课")
    page.get_by_label("说明", exact=True).fill("周三下午第二节课未到。")
    page.get_by_role("button", name=re.compile("保存")).click()
    # Then the student's page says so and the incident is stored
    expect(page.get_by_role("status")).to_contain_text("已记录违纪事件")
    incident = Incident.objects.get(student=student)
    assert (incident.type, incident.recorded_by) == ("skipping", teacher)

    # When the office has computed the semester's sheets, she reads hers from 我的考核
    assessment_services.sheets_compute(school=school, semester=semester, by=office)
    page.locator("nav.bottom-nav").get_by_role("link", name="我的考核").click()
    expect(page.locator("h1")).to_have_text("我的学期考核")
    check_everywhere(page)
    page.get_by_role("link", name=re.compile(semester.label)).click()
    expect(page.get_by_role("heading", name="教师结对帮扶学期考核表")).to_be_visible()
    expect(page.locator("main")).to_contain_text("李小花")
    check_everywhere(page)
    sheet = Sheet.objects.get(teacher=teacher, semester=semester)
    assert sheet.state == Sheet.State.DRAFT


def open_in_bottom_bar(page: Page, name: str) -> None:
    """A page of the phone's bottom bar, or of its 更多 menu when the bar is full."""
    bar = page.locator("nav.bottom-nav")
    link = bar.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        bar.locator("summary", has_text="更多").click()
    link.click()


def test_the_office_identifies_issues_slips_and_computes_and_submits_the_sheets(
    page: Page, live_server
):
    # Given a school in its semester: a teacher paired with a left-behind student, and a
    # student not yet identified
    school = factories.SchoolFactory(name="青山县第一中学")
    semester = factories.SemesterFactory(school=school)
    office = factories.make_user(Role.OFFICE, school=school, name="资助办甲")
    teacher = factories.make_user(Role.TEACHER, school=school, name="汤老师")
    factories.PairingFactory(
        school=school, teacher=teacher, start=semester.start,
        student=factories.StudentFactory(school=school, name="李小花"),
    )  # fmt: skip
    newcomer = factories.StudentFactory(school=school, name="张小军")

    # When the office opens the student from the list and proposes that his family is poor
    log_in(page, live_server, office.username)
    expect(page.locator("h1")).to_contain_text("结对帮扶概况")
    check_everywhere(page)
    open_in_bottom_bar(page, "学生")
    expect(page).to_have_url(re.compile(r"/students/$"))
    check_everywhere(page)
    page.get_by_role("link", name=re.compile("张小军")).click()
    expect(page.locator("h1")).to_contain_text("张小军")
    check_everywhere(page)
    page.get_by_role("link", name="提出认定").click()
    expect(page.locator("h1")).to_have_text("为 张小军 提出类别认定")
    check_everywhere(page)
    page.get_by_label("类别").select_option(label="家庭经济困难学生")
    page.get_by_label("认定来源").select_option(label="建档立卡")
    page.get_by_label("说明").fill("父亲务工受伤，家中无固定收入。")
    page.get_by_role("button", name="提交认定").click()
    expect(page.get_by_role("status")).to_contain_text("已提交认定，待审核")

    # and approves it among the pending identifications
    open_in_bottom_bar(page, "认定")
    expect(page.locator("h1")).to_have_text("待审核的类别认定")
    pending = page.locator(".list li", has_text="张小军")
    expect(pending).to_contain_text("家庭经济困难学生")
    check_everywhere(page)
    pending.get_by_role("button", name="审核通过").click()
    expect(page.locator(".list li", has_text="张小军")).to_have_count(0)
    # Then the student is identified as poor for the semester
    identification = newcomer.identifications.get(semester=semester)
    assert (identification.category, identification.state) == (Category.POOR, "approved")
    assert identification.source == "registered_poor"

    # When it issues the semester's questionnaire slips from the assessment page
    open_in_bottom_bar(page, "考核")
    expect(page.locator("h1")).to_have_text("结对帮扶学期考核")
    check_everywhere(page)
    page.get_by_role("link", name="问卷调查").click()
    expect(page.locator("h1")).to_have_text("问卷调查反馈评价")
    check_everywhere(page)
    page.get_by_role("button", name="发放并打印问卷条").click()
    # Then a slip per pairing is shown to print, and stored unanswered
    expect(page.locator("h1")).to_have_text("问卷条（1 张）")
    expect(page.locator(".slip")).to_contain_text("李小花")
    check_everywhere(page, posted=True)
    questionnaires = Questionnaire.objects.filter(pairing__school=school, semester=semester)
    assert questionnaires.count() == 1
    assert questionnaires.get().answered_at is None

    # When it computes the semester's sheets
    open_in_bottom_bar(page, "考核")
    page.get_by_role("button", name="生成考核表").click()
    expect(page.get_by_role("status")).to_be_visible()
    sheet_link = page.get_by_role("link", name=re.compile("汤老师"))
    expect(sheet_link).to_contain_text("草稿")
    check_everywhere(page)
    # and submits the teacher's for approval
    sheet_link.click()
    expect(page.get_by_role("heading", name="教师结对帮扶学期考核表")).to_be_visible()
    check_everywhere(page)
    page.get_by_label("意见").first.fill("记录齐全，请审批。")
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator("main")).to_contain_text("待审批")
    # Then the sheet awaits the principal's approval
    sheet = Sheet.objects.get(teacher=teacher, semester=semester)
    assert sheet.state == Sheet.State.SUBMITTED


def test_the_county_viewer_reads_the_county_and_drills_down_to_a_school(page: Page, live_server):
    # Given two schools of the county, one with two pairings and a talk logged
    first = factories.SchoolFactory(name="青山县第一中学")
    second = factories.SchoolFactory(name="青山县红旗小学", county=first.county)
    semester = factories.SemesterFactory(school=first)
    factories.SemesterFactory(school=second)
    for name in ("李小花", "王小明"):
        pairing = factories.PairingFactory(
            school=first, start=semester.start,
            student=factories.StudentFactory(school=first, name=name),
        )  # fmt: skip
    ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=Kind.TALK, date=semester.start,
        content="谈心",
    )  # fmt: skip
    viewer = factories.make_user(Role.COUNTY, county=first.county, name="教育局乙")

    # When the county viewer logs in, the county's schools are listed
    log_in(page, live_server, viewer.username)
    expect(page).to_have_url(re.compile(r"/county/$"))
    table = page.locator("table").first
    expect(table.locator("tbody tr")).to_have_count(2)
    check_everywhere(page)
    # and sorted by coverage when its header is tapped
    table.get_by_role("link", name="覆盖率").click()
    expect(page).to_have_url(re.compile(r"sort=rate"))
    check_everywhere(page)

    # When the viewer opens the first school
    page.get_by_role("link", name="青山县第一中学").click()
    # Then its read-only summary shows its two pairings and one log, and no names
    expect(page.locator("h1")).to_have_text("青山县第一中学")
    stats = page.locator(".stats").first
    expect(stats.locator(".stat", has_text="本学期结对").locator("b")).to_have_text("2")
    expect(stats.locator(".stat", has_text="帮扶记录").locator("b")).to_have_text("1")
    expect(page.locator("main")).not_to_contain_text("李小花")
    check_everywhere(page)
    assert Pairing.objects.filter(school=first).count() == 2
    assert ActivityLog.objects.filter(pairing__school=first).count() == 1

    # and goes back to the county
    page.get_by_role("link", name="返回全县概况").click()
    expect(page.locator("table").first.locator("tbody tr")).to_have_count(2)
