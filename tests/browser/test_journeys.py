import re

import pytest
from playwright.sync_api import Page, expect

from pairing.models import Pairing
from students.models import Category, Role
from tests import factories
from tests.browser.axe import check_everywhere

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("h1")).to_have_text("结对帮扶 · 登录")
    page.get_by_label("用户名（工号）").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


@pytest.mark.parametrize(
    ("role", "home", "heading"),
    [
        (Role.TEACHER, "/me/", "我的帮扶学生"),
        (Role.OFFICE, "/dashboard/", "结对帮扶概况"),
        (Role.PRINCIPAL, "/dashboard/", "结对帮扶概况"),
        (Role.COUNTY, "/county/", "结对帮扶概况"),
    ],
)
def test_each_role_logs_in_and_lands_home_on_a_phone(page, live_server, role, home, heading):
    # Given a school with a current semester and one pairing
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    pairing = factories.PairingFactory(school=school)
    user = (
        pairing.teacher
        if role == Role.TEACHER
        else factories.make_user(role, school=school, county=school.county)
    )
    # When the user logs in
    log_in(page, live_server, user.username)
    # Then they land on their home page, which fits the screen and has the bottom bar
    expect(page).to_have_url(re.compile(re.escape(home) + "$"))
    expect(page.locator("h1")).to_contain_text(heading)
    expect(page.locator(".bottom-nav")).to_be_visible()
    assert_fits_the_phone(page)


def test_wrong_password_is_explained_in_chinese(page, live_server):
    user = factories.make_user()
    page.goto(f"{live_server.url}/accounts/login/")
    check_everywhere(page)
    page.get_by_label("用户名（工号）").fill(user.username)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确，请重新输入。")
    check_everywhere(page, posted=True)


def test_office_pairs_an_identified_student_with_a_teacher(page, live_server):
    # Given an identified, unpaired student and a teacher of the school
    school = factories.SchoolFactory()
    semester = factories.SemesterFactory(school=school)
    office = factories.make_user(Role.OFFICE, school=school)
    teacher = factories.make_user(Role.TEACHER, school=school, name="王老师")
    identification = factories.IdentificationFactory(
        student__school=school, student__name="李小花", semester=semester, category=Category.POOR
    )
    # When the office finds the student among the unpaired ones and pairs them
    log_in(page, live_server, office.username)
    page.goto(f"{live_server.url}/students/?paired=no")
    check_everywhere(page)
    page.get_by_role("link", name=re.compile("李小花")).click()
    expect(page.locator("h1")).to_contain_text("李小花")
    check_everywhere(page)
    page.get_by_role("link", name="安排结对").click()
    expect(page.get_by_label("帮扶教师")).to_be_visible()
    check_everywhere(page)
    page.get_by_label("帮扶教师").select_option(label=f"王老师（{teacher.username}）")
    page.get_by_label("类别").select_option("poor")
    page.get_by_label("帮扶目标").fill("不因家庭经济困难辍学")
    assert_fits_the_phone(page)
    page.get_by_role("button", name="确认结对").click()
    # Then the student's page shows the helper and the plan
    expect(page.get_by_role("status")).to_contain_text("已结对：王老师 帮扶 李小花")
    expect(page.locator("main")).to_contain_text("不因家庭经济困难辍学")
    assert Pairing.objects.filter(
        student=identification.student, teacher=teacher, category="poor"
    ).exists()


def test_student_search_filters_as_you_type(page, live_server):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    office = factories.make_user(Role.OFFICE, school=school)
    factories.StudentFactory(school=school, name="张三丰")
    factories.StudentFactory(school=school, name="李四光")
    log_in(page, live_server, office.username)
    page.goto(f"{live_server.url}/students/")
    expect(page.locator("#results li")).to_have_count(2)
    page.get_by_label("搜索").fill("张三")
    expect(page.locator("#results li")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("张三丰")
    expect(page).to_have_url(re.compile(r"q=%E5%BC%A0%E4%B8%89"))
