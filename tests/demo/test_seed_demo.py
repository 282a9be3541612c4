import datetime as dt
import re
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import Questionnaire, Score, Sheet, SheetEvent
from assessment.services import assessment_json
from demo import generator
from demo.generator import MAX_SCHOOLS, demo_seed
from demo.people import GRADES, _previous_categories, _school_name
from demo.school import DEMO_REASON
from governance import history
from pairing.models import Pairing, category_identified
from students import idcard
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
from students.selectors import category_coverage, previous_semester_code, semester_code_for, today
from tests import factories
from visits.duties import (
    DEFAULT_RULES,
    Log,
    Period,
    Span,
    Status,
    completeness,
    evaluate_pairing,
)
from visits.models import MAX_AID_AMOUNT, ActivityLog, Exam, HolidayWeek, Incident, Kind
from visits.selectors import calendar_for, duties_for_pairings

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "demo-password-for-tests"


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output():
    return seed_demo("--students-per-school", "60", "--seed", "11", "--password", PASSWORD)


def rows_written() -> dict[str, int]:
    return {
        "schools": School.objects.count(),
        "users": User.objects.count(),
        "students": Student.objects.count(),
        "identifications": Identification.objects.count(),
        "pairings": Pairing.objects.count(),
        "logs": ActivityLog.objects.count(),
        "incidents": Incident.objects.count(),
        "exams": Exam.objects.count(),
        "holiday weeks": HolidayWeek.objects.count(),
    }


def student_facts() -> list[tuple]:
    return list(
        Student.objects.order_by("pk").values_list("name", "student_no", "birth_date", "address")
    )


def pairing_facts() -> list[tuple]:
    return list(
        Pairing.objects.order_by("pk").values_list(
            "teacher__username", "student__student_no", "category", "subject", "start", "end"
        )
    )


def test_creates_the_contract_accounts_with_the_given_password(demo_output):
    # then
    client = Client()
    for username in ("county", "principal-DEMO1", "office-DEMO1", "DEMO1T001"):
        assert client.login(request=HttpRequest(), username=username, password=PASSWORD), username
    roles = dict(Profile.objects.values_list("user__username", "role"))
    assert roles["county"] == Role.COUNTY
    assert roles["principal-DEMO1"] == Role.PRINCIPAL
    assert roles["office-DEMO1"] == Role.OFFICE
    teachers = [u for u, role in roles.items() if role == Role.TEACHER]
    assert len(teachers) >= SchoolClass.objects.count() + 2
    assert all(re.fullmatch(r"DEMO1T\d{3}", username) for username in teachers)


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("DEMO1T001", "/me/"),
        ("principal-DEMO1", "/dashboard/"),
        ("office-DEMO1", "/dashboard/"),
        ("county", "/county/"),
    ],
)
def test_each_demo_account_is_sent_to_its_role_home(demo_output, username, home):
    # given
    client = Client()
    client.login(request=HttpRequest(), username=username, password=PASSWORD)

    # when
    response = client.get("/")

    # then
    assert response.status_code == 302
    assert response["Location"] == home


def test_prints_the_accounts_the_seed_and_the_password(demo_output):
    # then
    assert "随机种子 11" in demo_output
    for heading in ("角色", "用户名", "姓名", "学校"):
        assert heading in demo_output
    for username in ("county", "principal-DEMO1", "office-DEMO1", "DEMO1T001"):
        assert username in demo_output
    assert f"所有账号的密码：{PASSWORD}" in demo_output


def test_without_a_password_or_seed_prints_the_random_ones_used():
    # when
    output = seed_demo("--students-per-school", "10")

    # then
    printed = re.search(r"所有账号的密码：(\S+)", output)
    assert printed is not None
    password = printed[1]
    assert len(password) >= 14
    assert re.search(r"随机种子 \d+", output)
    assert Client().login(request=HttpRequest(), username="principal-DEMO1", password=password)


def test_all_schools_belong_to_one_county_viewed_by_the_county_account():
    # when
    seed_demo(
        "--schools", "2", "--students-per-school", "20", "--seed", "5", "--password", PASSWORD
    )

    # then
    county = Profile.objects.get(user__username="county").county
    assert county is not None
    assert set(county.schools.values_list("code", flat=True)) == {"DEMO1", "DEMO2"}
    assert User.objects.filter(username__in=["principal-DEMO2", "office-DEMO2"]).count() == 2
    numbers = list(Student.objects.values_list("id_number", flat=True))
    assert len(numbers) == 40
    assert len(set(numbers)) == 40


def test_creates_the_current_and_the_previous_semester(demo_output):
    # then
    current = semester_code_for(today())
    codes = set(Semester.objects.filter(school__code="DEMO1").values_list("code", flat=True))
    assert codes == {current, previous_semester_code(current)}


def test_identifies_all_four_categories_in_both_semesters(demo_output):
    # given
    current = semester_code_for(today())

    # then
    assert not Identification.objects.exclude(state=Identification.State.APPROVED).exists()
    now = set(
        Identification.objects.filter(semester__code=current).values_list("category", flat=True)
    )
    assert now == set(Category.values)
    before = Identification.objects.filter(semester__code=previous_semester_code(current))
    assert before.exists()


def test_some_students_are_in_several_categories(demo_output):
    # then
    per_student = Counter(
        Identification.objects.filter(semester__code=semester_code_for(today())).values_list(
            "student", flat=True
        )
    )
    assert max(per_student.values()) >= 2


def test_a_teacher_helps_several_students_and_a_student_has_two_helpers(demo_output):
    # given
    open_pairings = Pairing.objects.filter(end__isnull=True)

    # then
    students_per_teacher = Counter(
        teacher for teacher, _student in set(open_pairings.values_list("teacher", "student"))
    )
    assert max(students_per_teacher.values()) >= 2
    helpers_per_student = Counter(
        student for _teacher, student in set(open_pairings.values_list("teacher", "student"))
    )
    assert max(helpers_per_student.values()) >= 2


def test_every_pairing_keeps_the_pairing_rules(demo_output):
    # then
    pairings = Pairing.objects.select_related("teacher__profile", "student", "school")
    assert pairings.exists()
    for pairing in pairings:
        pairing.full_clean()
        assert category_identified(
            student=pairing.student, category=pairing.category, on=pairing.start
        ), pairing
        assert pairing.teacher.profile.role == Role.TEACHER
        assert pairing.start <= today()
        assert pairing.goals
        assert pairing.measures
    assert Pairing.objects.filter(category=Category.STRUGGLING).exclude(subject="").exists()


def test_some_pairings_of_last_semester_ended_with_a_reason(demo_output):
    # then
    ended = Pairing.objects.filter(end__isnull=False)
    assert ended.filter(end_reason=Pairing.EndReason.LEFT_CATEGORY).exists()
    assert not ended.filter(end_reason="").exists()


def test_some_identified_students_are_still_without_a_helper(demo_output):
    # given
    school = School.objects.get(code="DEMO1")
    semester = Semester.objects.get(school=school, code=semester_code_for(today()))

    # when
    coverage = category_coverage(school=school, semester=semester)

    # then
    unpaired = sum(row["unpaired"] for row in coverage)
    identified = sum(row["identified"] for row in coverage)
    assert 0 < unpaired < identified / 5


def test_students_have_valid_id_numbers_matching_their_birth_dates(demo_output):
    # then
    students = Student.objects.select_related("cohort", "school_class")
    assert students.count() == 60
    for student in students:
        assert idcard.problems(student.id_number, birth=student.birth_date) == []
        assert student.id_number.startswith("52")
        # The 学籍号 is shown unmasked, so it must not carry the ID number.
        assert student.id_number not in student.student_no
        assert student.student_no.startswith(f"{student.school.code}{student.cohort.entry_year}")
        student.full_clean()


def test_students_are_12_to_15_years_old(demo_output):
    # then
    day = today()
    for birth in Student.objects.values_list("birth_date", flat=True):
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        assert 12 <= age <= 15


def test_classes_are_named_for_their_grade_and_led_by_a_teacher_of_the_school(demo_output):
    # given
    first_year = int(semester_code_for(today())[:4])

    # then
    classes = SchoolClass.objects.select_related("cohort", "homeroom_teacher__profile")
    assert len(classes) >= 3
    for school_class in classes:
        assert school_class.name.startswith(GRADES[first_year - school_class.cohort.entry_year])
        school_class.full_clean()
    assert {c.cohort.entry_year for c in classes} == {first_year, first_year - 1, first_year - 2}


def log_facts() -> list[tuple]:
    return list(
        ActivityLog.objects.order_by("pk").values_list(
            "pairing__student__student_no", "kind", "date", "content", "aid_amount"
        )
    )


def calendar_facts() -> list[tuple]:
    exams = Exam.objects.order_by("date").values_list("date", "name")
    holidays = HolidayWeek.objects.order_by("monday").values_list("monday", "note")
    incidents = Incident.objects.order_by("date", "pk").values_list(
        "student__student_no", "date", "type"
    )
    return [*exams, *holidays, *incidents]


def test_the_same_seed_gives_the_same_data():
    # given
    runs = []
    for _run in range(2):
        with transaction.atomic():
            seed_demo("--students-per-school", "30", "--seed", "42", "--password", PASSWORD)
            runs.append((student_facts(), pairing_facts(), log_facts(), calendar_facts()))
            transaction.set_rollback(True)

    # then
    assert runs[0] == runs[1]
    assert len(runs[0][0]) == 30
    assert len(runs[0][2]) > 100


def test_another_seed_gives_other_students():
    # given
    names = []
    for seed in ("1", "2"):
        with transaction.atomic():
            seed_demo("--students-per-school", "30", "--seed", seed, "--password", PASSWORD)
            names.append([name for name, *_rest in student_facts()])
            transaction.set_rollback(True)

    # then
    assert names[0] != names[1]


@pytest.mark.parametrize(
    "day",
    [dt.date(2025, 9, 1), dt.date(2026, 1, 20), dt.date(2026, 4, 15), dt.date(2026, 8, 20)],
    ids=["first-day-of-term-1", "end-of-term-1", "term-2", "summer-holiday"],
)
def test_data_keeps_the_rules_whatever_the_day(day):
    # when
    demo_seed(schools=1, students_per_school=40, seed=3, password=PASSWORD, on=day)

    # then
    current = semester_code_for(day)
    assert set(Semester.objects.values_list("code", flat=True)) == {
        current,
        previous_semester_code(current),
    }
    assert set(
        Identification.objects.filter(semester__code=current).values_list("category", flat=True)
    ) == set(Category.values)
    for birth in Student.objects.values_list("birth_date", flat=True):
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        assert 12 <= age <= 15
    for pairing in Pairing.objects.select_related("teacher__profile", "student"):
        pairing.full_clean()
        assert pairing.start <= day
        assert category_identified(
            student=pairing.student, category=pairing.category, on=pairing.start
        )
    assert ActivityLog.objects.exists()
    assert not ActivityLog.objects.filter(date__gt=day).exists()
    for log in ActivityLog.objects.select_related("pairing"):
        assert log_inside_its_pairing(log), log
    assert not Incident.objects.filter(date__gt=day).exists()
    for exam in Exam.objects.select_related("semester"):
        exam.full_clean()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--schools", "0"), "学校数量应在 1 到 600 之间"),
        (("--schools", "601"), "学校数量应在 1 到 600 之间（收到 601）"),
        (("--students-per-school", "5"), "每校学生人数应在 10 到 5000 之间"),
        (("--students-per-school", "5001"), "每校学生人数应在 10 到 5000 之间"),
        (("--password", ""), "密码不能为空"),
        (("--password", "   "), "密码不能为空"),
        (("--schools", "两"), "不是整数"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(args, problem):
    # when
    with pytest.raises(CommandError, match=problem):
        seed_demo("--students-per-school", "10", "--password", PASSWORD, *args)

    # then
    assert set(rows_written().values()) == {0}


def test_a_whole_county_of_schools_may_be_asked_for_with_distinct_names():
    # A county has ~150 schools, and the benchmarks ask for 600: up to MAX_SCHOOLS each gets
    # a name of its own.
    names = [_school_name(index) for index in range(MAX_SCHOOLS)]
    assert MAX_SCHOOLS >= 600
    assert len(set(names)) == len(names)
    assert names[0] == "示范县平寨镇中学"
    assert names[25] == "示范县平寨镇第二中学"
    assert names[599].endswith("第二十四中学")


class _AlwaysTaken:
    """A random source whose every draw takes the rare branch (and the first option)."""

    def random(self) -> float:
        return 0.0

    def choice(self, options):
        return options[0]

    def choices(self, options, weights):
        return [options[0]]


def test_a_student_in_all_four_categories_had_none_more_last_semester():
    # given a student identified in every category this semester
    every = [c.value for c in Category]
    # when last semester's categories are drawn, taking the "identified only since" and the
    # "left a category since" branches
    previous = _previous_categories(_AlwaysTaken(), every)
    # then there is no category left that the student could have left: nothing is added
    assert previous == every[1:]


def test_a_seed_with_a_student_in_all_four_categories_is_generated():
    # given a seed whose only school has a returning student in all four categories (seed 744
    # at 60 students, whichever term the day falls in), who once stopped the run (IndexError)
    demo_seed(schools=1, students_per_school=60, seed=744, password=PASSWORD)

    # then the run completed, with that student
    counts = Counter(
        Identification.objects.filter(semester__code=semester_code_for(today())).values_list(
            "student", flat=True
        )
    )
    assert max(counts.values()) == len(Category)


def test_a_second_run_is_refused_and_writes_nothing(demo_output):
    # given
    before = rows_written()

    # when
    with pytest.raises(CommandError, match="演示数据已存在"):
        seed_demo("--schools", "2", "--students-per-school", "10", "--password", PASSWORD)

    # then
    assert rows_written() == before


@pytest.mark.parametrize(
    "existing",
    [
        lambda: factories.SchoolFactory(code="DEMO1"),
        lambda: factories.UserFactory(username="county"),
        lambda: factories.UserFactory(username="DEMO1T007"),
    ],
    ids=["school-code", "county-username", "teacher-username"],
)
def test_refuses_when_a_demo_code_or_username_is_taken(existing):
    # given
    existing()
    before = rows_written()

    # when
    with pytest.raises(CommandError, match="演示数据已存在"):
        seed_demo("--students-per-school", "10", "--password", PASSWORD)

    # then
    assert rows_written() == before


def log_inside_its_pairing(log: ActivityLog) -> bool:
    pairing = log.pairing
    return pairing.start <= log.date and (pairing.end is None or log.date <= pairing.end)


def test_prints_how_many_logs_and_incidents_it_made(demo_output):
    # then
    logs = re.search(r"(\d+) 条帮扶记录", demo_output)
    incidents = re.search(r"(\d+) 起违纪事件", demo_output)
    assert logs is not None
    assert incidents is not None
    assert int(logs[1]) == ActivityLog.objects.count() > 0
    assert int(incidents[1]) == Incident.objects.count() > 0


def test_logs_cover_every_duty_of_every_category(demo_output):
    # then
    done = set(ActivityLog.objects.values_list("pairing__category", "kind"))
    for rule in DEFAULT_RULES:
        assert (rule.category, rule.kind) in done, rule.key
    assert Kind.OTHER in {kind for _category, kind in done}


def test_no_log_is_in_the_future_or_outside_its_pairing(demo_output):
    # given
    logs = list(ActivityLog.objects.select_related("pairing"))
    now = timezone.now()

    # then
    assert logs
    for log in logs:
        assert log.date <= today(), log
        assert log_inside_its_pairing(log), log
        assert log.author_id == log.pairing.teacher_id
        assert log.created_at <= now
        # Entered on the evening of the day, or a little later.
        assert timezone.localtime(log.created_at).date() >= log.date - dt.timedelta(days=1)


def test_logs_are_valid_records(demo_output):
    # given
    logs = list(ActivityLog.objects.select_related("pairing").order_by("pk"))

    # then
    for log in logs[::7]:
        log.full_clean()
    for log in logs:
        assert log.content.strip()
        assert log.content != log.pairing.goals


def test_material_aid_records_items_and_an_amount_in_yuan(demo_output):
    # given
    aid = ActivityLog.objects.filter(kind=Kind.MATERIAL_AID)

    # then
    assert aid.exists()
    for log in aid:
        assert log.aid_items
        assert isinstance(log.aid_amount, Decimal)
        assert Decimal(0) <= log.aid_amount <= MAX_AID_AMOUNT


def test_home_visits_and_exam_guidance_carry_their_details(demo_output):
    # then
    visits = ActivityLog.objects.filter(kind=Kind.HOME_VISIT)
    assert visits.exists()
    for log in visits:
        assert log.visit_place
        assert "学生本人" in log.visit_present
        assert log.family_situation
    poor_visits = visits.filter(pairing__category=Category.POOR)
    assert poor_visits.exists()
    assert not poor_visits.filter(poverty_cause="").exists()
    exam_names = set(Exam.objects.values_list("name", flat=True))
    guidance = ActivityLog.objects.filter(kind=Kind.EXAM_GUIDANCE)
    assert guidance.exists()
    assert set(guidance.values_list("exam_name", flat=True)) <= exam_names


def test_a_few_logs_were_withdrawn_with_a_reason(demo_output):
    # given
    withdrawn = ActivityLog.objects.filter(withdrawn_at__isnull=False)

    # then
    assert 0 < withdrawn.count() < ActivityLog.objects.count() / 50
    for log in withdrawn:
        assert log.withdrawn_reason
        assert log.created_at <= log.withdrawn_at <= log.created_at + dt.timedelta(days=7)


def test_exams_and_holiday_weeks_fall_inside_their_semesters(demo_output):
    # given
    semesters = list(Semester.objects.filter(school__code="DEMO1"))

    # then
    for semester in semesters:
        exams = Exam.objects.filter(semester=semester)
        assert {"期中考试", "期末考试"} <= set(exams.values_list("name", flat=True))
        for exam in exams:
            exam.full_clean()
            assert semester.start <= exam.date <= semester.end
            assert exam.date.weekday() < 5
    for week in HolidayWeek.objects.all():
        week.full_clean()
        assert any(s.start - dt.timedelta(days=6) <= week.monday <= s.end for s in semesters)
    notes = set(HolidayWeek.objects.values_list("note", flat=True))
    assert "期中考试周" in notes
    assert notes & {"国庆节", "劳动节"}


def test_incidents_are_dated_inside_a_semester_and_not_in_the_future(demo_output):
    # given
    semesters = list(Semester.objects.filter(school__code="DEMO1"))
    incidents = Incident.objects.select_related("student__school_class", "recorded_by__profile")

    # then
    assert incidents.exists()
    for incident in incidents:
        incident.full_clean()
        assert incident.date <= today()
        assert any(s.contains(incident.date) for s in semesters), incident
        homeroom = incident.student.school_class.homeroom_teacher_id
        assert incident.recorded_by_id == homeroom or incident.recorded_by.username.startswith(
            "office-"
        )


def test_incidents_are_mostly_problem_students_and_rare():
    # when
    demo_seed(schools=1, students_per_school=320, seed=8, password=PASSWORD)

    # then
    incidents = list(Incident.objects.values_list("student", flat=True))
    # About one per 40 students a semester: 8 for last semester, fewer so far this one.
    assert 3 <= len(incidents) <= 20
    problem = set(
        Identification.objects.filter(category=Category.PROBLEM).values_list("student", flat=True)
    )
    assert sum(1 for student in incidents if student in problem) > len(incidents) / 2


def test_duties_show_a_mix_of_done_due_and_overdue_across_the_school():
    # given: a Thursday in the middle of a term
    day = dt.date(2025, 11, 20)
    demo_seed(schools=1, students_per_school=120, seed=4, password=PASSWORD, on=day)
    school = School.objects.get(code="DEMO1")
    pairings = Pairing.objects.filter(school=school).exclude(end__lt=day)

    # when
    statuses = Counter(
        status.status
        for duties in duties_for_pairings(pairings=pairings, school=school, on=day).values()
        for status in duties.statuses
    )

    # then
    assert statuses[Status.DONE] > 0
    assert statuses[Status.DUE] + statuses[Status.OVERDUE] > 0
    assert statuses[Status.OVERDUE] > 0
    # Most teachers keep up with most of their duties.
    assert statuses[Status.OVERDUE] < statuses[Status.DONE]


def test_most_teachers_keep_most_duties_and_a_few_are_sloppy(demo_output):
    # given: last semester, looked at once it ended
    school = School.objects.get(code="DEMO1")
    code = previous_semester_code(semester_code_for(today()))
    semester = Semester.objects.get(school=school, code=code)
    calendar = calendar_for(semester=semester)
    rules = [r for r in DEFAULT_RULES if r.period in (Period.WEEK, Period.MONTH)]
    logs = defaultdict(list)
    for pairing, date, kind in ActivityLog.objects.filter(withdrawn_at__isnull=True).values_list(
        "pairing", "date", "kind"
    ):
        logs[pairing].append(Log(date, kind))

    # when
    kept: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pairing in Pairing.objects.filter(school=school, start__lte=semester.end):
        duties = evaluate_pairing(
            rules,
            category=pairing.category,
            calendar=calendar,
            span=Span(pairing.start, pairing.end),
            logs=logs[pairing.pk],
            today=semester.end + dt.timedelta(days=1),
        )
        met, owed = completeness(duties.statuses)
        kept[pairing.teacher_id][0] += met
        kept[pairing.teacher_id][1] += owed

    # then
    met = sum(m for m, _o in kept.values())
    owed = sum(o for _m, o in kept.values())
    assert 0.7 <= met / owed <= 0.95
    rates = sorted(m / o for m, o in kept.values() if o >= 10)
    assert rates[0] < 0.7
    assert rates[len(rates) // 2] >= 0.75


def test_scores_feed_an_assessment_with_every_outcome(demo_output):
    # given the demo's scores: three subjects and their total, for both semesters
    school = School.objects.get(code="DEMO1")
    current, previous = Semester.objects.filter(school=school).order_by("-start")[:2]
    for semester in (current, previous):
        subjects = set(Score.objects.filter(semester=semester).values_list("subject", flat=True))
        assert subjects == {"", "语文", "数学", "英语"}
    assert not Score.objects.filter(score__lt=0).exists()
    assert not Score.objects.filter(subject="", score__gt=360).exists()
    # when the current semester is assessed, then effective and ineffective pairings both occur
    result = assessment_json(school=school, semester=current)
    statuses = {p["status"] for t in result["teachers"] for p in t["pairings"]}
    assert {"effective", "ineffective"} <= statuses


def test_every_record_made_has_its_created_entry_in_the_history(demo_output):
    # then: rows written in bulk (no signals) have their "created" entry all the same
    for model, _label, _path in history.KINDS.values():
        records = model._default_manager.all()
        created = model.history.filter(history_type="+")
        assert set(created.values_list("id", flat=True)) == set(
            records.values_list("pk", flat=True)
        ), model
    assert set(
        ActivityLog.history.filter(history_type="+").values_list("history_change_reason", flat=True)
    ) == {DEMO_REASON}
    # the logs' history holds the times they were entered, not the moment of the seeding
    entered = dict(ActivityLog.objects.values_list("pk", "created_at"))
    recorded = dict(ActivityLog.history.values_list("id", "created_at"))
    assert recorded == entered
    assert len(set(entered.values())) > len(entered) / 2


def test_answers_and_submissions_are_stored_as_the_services_leave_them(demo_output):
    # given
    answered = Questionnaire.objects.filter(answered_at__isnull=False)
    submitted = Sheet.objects.filter(state=Sheet.State.SUBMITTED)
    office = User.objects.get(username="office-DEMO1")

    # then: about half the questionnaires answered, their one-time links spent
    assert 0 < answered.count() < Questionnaire.objects.count()
    assert not answered.filter(token_hash__isnull=False).exists()
    assert not Questionnaire.objects.filter(answered_at=None, token_hash=None).exists()
    sources = Counter(answered.values_list("source", flat=True))
    assert sources[Questionnaire.Source.LINK] > 0
    assert sources[Questionnaire.Source.PAPER] > 0
    paper = answered.filter(source=Questionnaire.Source.PAPER)
    assert set(paper.values_list("entered_by", flat=True)) == {office.pk}
    assert not answered.filter(source=Questionnaire.Source.LINK, entered_by__isnull=False).exists()
    # a third of the sheets submitted by the aid office, each with its event and history
    assert 0 < submitted.count() <= Sheet.objects.count() / 3
    for sheet in submitted:
        assert sheet.submitted_by == office
        assert sheet.submitted_at is not None
        assert sheet.office_comment
        event = SheetEvent.objects.get(sheet=sheet, action=SheetEvent.Action.SUBMITTED)
        assert (event.by, event.note) == (office, sheet.office_comment)
        changes = sheet.history.filter(history_type="~")
        assert changes.get().state == Sheet.State.SUBMITTED
    for questionnaire in answered:
        changes = questionnaire.history.filter(history_type="~")
        assert changes.get().answered_at == questionnaire.answered_at


def test_writes_in_bulk_so_queries_do_not_grow_with_the_students():
    # given
    counts = []
    for size in (30, 240):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            demo_seed(schools=1, students_per_school=size, seed=6, password=PASSWORD)
            counts.append(len(queries))
            transaction.set_rollback(True)

    # then: eight times the students (and thousands of logs) take only a few more batches
    assert counts[1] - counts[0] <= 20


def test_the_derived_records_are_built_once_after_every_log_is_written(monkeypatch):
    # given
    calls = []

    def after_logs_written(codes: list[str]) -> None:
        calls.append((codes, ActivityLog.objects.filter(pairing__school__code="DEMO2").count()))

    monkeypatch.setattr(generator, "after_logs_written", after_logs_written)

    # when
    demo_seed(schools=2, students_per_school=20, seed=5, password=PASSWORD)

    # then
    assert calls == [
        (["DEMO1", "DEMO2"], ActivityLog.objects.filter(pairing__school__code="DEMO2").count())
    ]
    assert calls[0][1] > 0
