"""Table tests of the duty evaluators: no database. The semester is 2025-2026-1, teaching
dates 1 Sep 2025 (a Monday) – 31 Jan 2026."""

import datetime as dt

import pytest

from visits.duties import (
    DEFAULT_RULES,
    Calendar,
    Log,
    Period,
    Rule,
    Span,
    Status,
    Window,
    completeness,
    evaluate,
    evaluate_pairing,
    owed_periods,
)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


TERM1 = Calendar(start=d("2025-09-01"), end=d("2026-01-31"))
TERM2 = Calendar(start=d("2026-02-01"), end=d("2026-07-31"))
NATIONAL_DAY = Calendar(start=TERM1.start, end=TERM1.end, holidays=frozenset({d("2025-09-29")}))
EXAMS = Calendar(start=TERM1.start, end=TERM1.end, exams=(d("2025-11-10"), d("2026-01-20")))
SCHOOL_YEAR = Calendar(
    start=TERM1.start, end=TERM1.end, year_start=d("2025-09-01"), year_end=d("2026-07-31")
)

WEEKLY_TALK = Rule("left_behind", "talk", Period.WEEK, 1, "谈心")
MONTHLY_CALL = Rule("left_behind", "parent_contact", Period.MONTH, 1, "电话")
LETTER = Rule("left_behind", "letter", Period.SEMESTER, 1, "书信")
FESTIVAL = Rule("left_behind", "festival", Period.YEAR, 1, "节日")
EXAM_GUIDANCE = Rule("struggling", "exam_guidance", Period.EXAM, 1, "考试指导")
TWICE_WEEKLY = Rule("struggling", "tutoring", Period.WEEK, 2, "辅导")

SINCE_SEPT = Span(d("2025-09-01"))


def logs(kind: str, *days: str) -> list[Log]:
    return [Log(d(day), kind) for day in days]


CASES = [
    # (id, rule, calendar, span, logs, today, status, deadline, overdue_since, next_due)
    (
        "weekly: last week done, this week open",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        logs("talk", "2025-09-02"),
        "2025-09-10",
        Status.DUE,
        "2025-09-14",
        None,
        "2025-09-15",
    ),
    (
        "weekly: last week missed",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        [],
        "2025-09-10",
        Status.OVERDUE,
        "2025-09-14",
        "2025-09-08",
        "2025-09-15",
    ),
    (
        "weekly: this week done",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        logs("talk", "2025-09-02", "2025-09-09"),
        "2025-09-10",
        Status.DONE,
        "2025-09-14",
        None,
        "2025-09-15",
    ),
    (
        "weekly: a missed week made up this week",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        logs("talk", "2025-09-09"),
        "2025-09-10",
        Status.DONE,
        "2025-09-14",
        None,
        "2025-09-15",
    ),
    (
        "weekly: another kind does not count",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        logs("home_visit", "2025-09-02", "2025-09-09"),
        "2025-09-10",
        Status.OVERDUE,
        "2025-09-14",
        "2025-09-08",
        "2025-09-15",
    ),
    (
        "weekly: first week of the pairing",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        [],
        "2025-09-03",
        Status.DUE,
        "2025-09-07",
        None,
        "2025-09-08",
    ),
    (
        "weekly: twice a week, once done",
        TWICE_WEEKLY,
        TERM1,
        SINCE_SEPT,
        logs("tutoring", "2025-09-01", "2025-09-03", "2025-09-09"),
        "2025-09-10",
        Status.DUE,
        "2025-09-14",
        None,
        "2025-09-15",
    ),
    (
        "monthly: last month done",
        MONTHLY_CALL,
        TERM1,
        SINCE_SEPT,
        logs("parent_contact", "2025-09-20"),
        "2025-10-15",
        Status.DUE,
        "2025-10-31",
        None,
        "2025-11-01",
    ),
    (
        "monthly: last month missed",
        MONTHLY_CALL,
        TERM1,
        SINCE_SEPT,
        [],
        "2025-10-15",
        Status.OVERDUE,
        "2025-10-31",
        "2025-10-01",
        "2025-11-01",
    ),
    (
        "monthly: done this month",
        MONTHLY_CALL,
        TERM1,
        SINCE_SEPT,
        logs("parent_contact", "2025-09-20", "2025-10-02"),
        "2025-10-15",
        Status.DONE,
        "2025-10-31",
        None,
        "2025-11-01",
    ),
    (
        "semester: letter not yet written",
        LETTER,
        TERM1,
        SINCE_SEPT,
        [],
        "2025-12-01",
        Status.DUE,
        "2026-01-31",
        None,
        None,
    ),
    (
        "semester: letter written",
        LETTER,
        TERM1,
        SINCE_SEPT,
        logs("letter", "2025-11-03"),
        "2025-12-01",
        Status.DONE,
        "2026-01-31",
        None,
        None,
    ),
    (
        "year: festival due by the end of the school year",
        FESTIVAL,
        SCHOOL_YEAR,
        SINCE_SEPT,
        [],
        "2025-12-01",
        Status.DUE,
        "2026-07-31",
        None,
        None,
    ),
    (
        "year: mid-autumn festival spent together",
        FESTIVAL,
        SCHOOL_YEAR,
        SINCE_SEPT,
        logs("festival", "2025-10-06"),
        "2025-12-01",
        Status.DONE,
        "2026-07-31",
        None,
        None,
    ),
    (
        "exam: before the first window",
        EXAM_GUIDANCE,
        EXAMS,
        SINCE_SEPT,
        [],
        "2025-10-01",
        Status.IDLE,
        None,
        None,
        "2025-10-27",
    ),
    (
        "exam: review before the exam is due",
        EXAM_GUIDANCE,
        EXAMS,
        SINCE_SEPT,
        [],
        "2025-11-05",
        Status.DUE,
        "2025-11-24",
        None,
        "2026-01-06",
    ),
    (
        "exam: paper analysed after the exam",
        EXAM_GUIDANCE,
        EXAMS,
        SINCE_SEPT,
        logs("exam_guidance", "2025-11-12"),
        "2025-11-20",
        Status.DONE,
        "2025-11-24",
        None,
        "2026-01-06",
    ),
    (
        "exam: nothing in the window",
        EXAM_GUIDANCE,
        EXAMS,
        SINCE_SEPT,
        [],
        "2025-12-01",
        Status.OVERDUE,
        "2025-11-24",
        "2025-11-25",
        "2026-01-06",
    ),
    (
        "exam: second window starts after the first exam",
        EXAM_GUIDANCE,
        EXAMS,
        SINCE_SEPT,
        logs("exam_guidance", "2025-11-12"),
        "2026-01-10",
        Status.DUE,
        "2026-01-31",
        None,
        None,
    ),
    (
        "mid-semester start on a Thursday owes that week",
        WEEKLY_TALK,
        TERM1,
        Span(d("2025-10-16")),
        [],
        "2025-10-17",
        Status.DUE,
        "2025-10-19",
        None,
        "2025-10-20",
    ),
    (
        "mid-semester start on a Saturday owes from Monday",
        WEEKLY_TALK,
        TERM1,
        Span(d("2025-10-18")),
        [],
        "2025-10-18",
        Status.IDLE,
        None,
        None,
        "2025-10-20",
    ),
    (
        "start on the 20th owes from next month",
        MONTHLY_CALL,
        TERM1,
        Span(d("2025-10-20")),
        [],
        "2025-10-25",
        Status.IDLE,
        None,
        None,
        "2025-11-01",
    ),
    (
        "start on the 10th owes this month",
        MONTHLY_CALL,
        TERM1,
        Span(d("2025-10-10")),
        [],
        "2025-10-25",
        Status.DUE,
        "2025-10-31",
        None,
        "2025-11-01",
    ),
    (
        "a late start owes no semester duty",
        LETTER,
        TERM1,
        Span(d("2025-12-20")),
        [],
        "2026-01-05",
        Status.IDLE,
        None,
        None,
        None,
    ),
    (
        "a log before the pairing does not count",
        WEEKLY_TALK,
        TERM1,
        Span(d("2025-09-10")),
        logs("talk", "2025-09-09"),
        "2025-09-11",
        Status.DUE,
        "2025-09-14",
        None,
        "2025-09-15",
    ),
    (
        "holiday week: nothing owed during it",
        WEEKLY_TALK,
        NATIONAL_DAY,
        SINCE_SEPT,
        logs("talk", "2025-09-23"),
        "2025-10-01",
        Status.IDLE,
        None,
        None,
        "2025-10-06",
    ),
    (
        "holiday week is skipped when looking back",
        WEEKLY_TALK,
        NATIONAL_DAY,
        SINCE_SEPT,
        logs("talk", "2025-09-23"),
        "2025-10-08",
        Status.DUE,
        "2025-10-12",
        None,
        "2025-10-13",
    ),
    (
        "without the holiday the same week is overdue",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        logs("talk", "2025-09-23"),
        "2025-10-08",
        Status.OVERDUE,
        "2025-10-12",
        "2025-10-06",
        "2025-10-13",
    ),
    (
        "semester boundary: the split week is owed in term 1",
        WEEKLY_TALK,
        TERM1,
        SINCE_SEPT,
        logs("talk", "2026-01-20"),
        "2026-01-28",
        Status.DUE,
        "2026-01-31",
        None,
        None,
    ),
    (
        "semester boundary: term 2 starts owing on its first Monday",
        WEEKLY_TALK,
        TERM2,
        SINCE_SEPT,
        logs("talk", "2026-01-31"),
        "2026-02-01",
        Status.IDLE,
        None,
        None,
        "2026-02-02",
    ),
    (
        "semester boundary: a January call does not count in February",
        MONTHLY_CALL,
        TERM2,
        SINCE_SEPT,
        logs("parent_contact", "2026-01-31"),
        "2026-02-10",
        Status.DUE,
        "2026-02-28",
        None,
        "2026-03-01",
    ),
    (
        "an ended pairing owes nothing after its end",
        WEEKLY_TALK,
        TERM1,
        Span(d("2025-09-01"), d("2025-09-12")),
        logs("talk", "2025-09-02", "2025-09-09"),
        "2025-09-24",
        Status.IDLE,
        None,
        None,
        None,
    ),
]


def _opt(text: str | None) -> dt.date | None:
    return d(text) if text else None


@pytest.mark.parametrize(
    ("rule", "calendar", "span", "records", "today", "status", "deadline", "since", "next_due"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule_status(rule, calendar, span, records, today, status, deadline, since, next_due):
    result = evaluate(rule, calendar=calendar, span=span, logs=records, today=d(today))
    assert (result.status, result.deadline, result.overdue_since, result.next_due) == (
        status,
        _opt(deadline),
        _opt(since),
        _opt(next_due),
    )


@pytest.mark.parametrize(
    ("period", "calendar", "span", "count", "first", "last"),
    [
        (
            Period.WEEK,
            TERM1,
            SINCE_SEPT,
            22,
            Window(d("2025-09-01"), d("2025-09-07")),
            Window(d("2026-01-26"), d("2026-01-31")),
        ),
        (
            Period.WEEK,
            NATIONAL_DAY,
            SINCE_SEPT,
            21,
            Window(d("2025-09-01"), d("2025-09-07")),
            Window(d("2026-01-26"), d("2026-01-31")),
        ),
        (
            Period.WEEK,
            TERM2,
            SINCE_SEPT,
            26,
            Window(d("2026-02-02"), d("2026-02-08")),
            Window(d("2026-07-27"), d("2026-07-31")),
        ),
        (
            Period.MONTH,
            TERM1,
            SINCE_SEPT,
            5,
            Window(d("2025-09-01"), d("2025-09-30")),
            Window(d("2026-01-01"), d("2026-01-31")),
        ),
        (
            Period.MONTH,
            TERM1,
            Span(d("2025-11-16")),
            3,
            Window(d("2025-11-01"), d("2025-11-30")),
            Window(d("2026-01-01"), d("2026-01-31")),
        ),
        (
            Period.SEMESTER,
            TERM1,
            SINCE_SEPT,
            1,
            Window(TERM1.start, TERM1.end),
            Window(TERM1.start, TERM1.end),
        ),
        (
            Period.EXAM,
            EXAMS,
            SINCE_SEPT,
            2,
            Window(d("2025-10-27"), d("2025-11-24")),
            Window(d("2026-01-06"), d("2026-01-31")),
        ),
        (
            Period.EXAM,
            EXAMS,
            Span(d("2025-12-01")),
            1,
            Window(d("2026-01-06"), d("2026-01-31")),
            Window(d("2026-01-06"), d("2026-01-31")),
        ),
    ],
)
def test_owed_periods_are_prorated(period, calendar, span, count, first, last):
    periods = owed_periods(period, calendar=calendar, span=span)
    assert (len(periods), periods[0], periods[-1]) == (count, first, last)


def test_holiday_days_do_not_count_towards_a_month():
    # October has 31 days, 5 of them (1–5 Oct) in the National Day week: 26 countable, so a
    # pairing from 19 Oct (13 days) owes October, one from 20 Oct (12 days) does not.
    owes = owed_periods(Period.MONTH, calendar=NATIONAL_DAY, span=Span(d("2025-10-19")))
    skips = owed_periods(Period.MONTH, calendar=NATIONAL_DAY, span=Span(d("2025-10-20")))
    assert owes[0].start == d("2025-10-01")
    assert skips[0].start == d("2025-11-01")


def test_student_with_two_categories_gets_each_categorys_rules_most_urgent_first():
    # Given a left-behind and poor student's two pairings, each with its own logs
    left_behind = evaluate_pairing(
        DEFAULT_RULES,
        category="left_behind",
        calendar=TERM1,
        span=SINCE_SEPT,
        logs=logs("talk", "2025-10-01", "2025-10-08") + logs("parent_contact", "2025-10-02"),
        today=d("2025-10-15"),
    )
    poor = evaluate_pairing(
        DEFAULT_RULES,
        category="poor",
        calendar=TERM1,
        span=SINCE_SEPT,
        logs=logs("material_aid", "2025-09-15"),
        today=d("2025-10-15"),
    )
    # Then each sees its own category's duties only, overdue first
    assert [s.rule.kind for s in left_behind.statuses] == [
        "talk",
        "letter",
        "festival",
        "parent_contact",
    ]
    assert [s.status for s in left_behind.statuses] == [
        Status.DUE,
        Status.DUE,
        Status.DUE,
        Status.DONE,
    ]
    assert [(s.rule.kind, s.status) for s in poor.statuses] == [
        ("talk", Status.OVERDUE),
        ("home_visit", Status.DUE),
        ("material_aid", Status.DONE),
    ]
    assert (poor.overdue, poor.due) == (1, 1)


def test_completeness_counts_met_and_missed_periods_so_far():
    # Weeks 1 and 3 met, week 2 missed, week 4 (current) still open
    status = evaluate(
        WEEKLY_TALK,
        calendar=TERM1,
        span=SINCE_SEPT,
        logs=logs("talk", "2025-09-02", "2025-09-16"),
        today=d("2025-09-24"),
    )
    assert (status.met, status.missed, status.owed) == (2, 1, 22)
    assert completeness([status]) == (2, 3)


def test_default_rules_match_the_design_table():
    table = {(r.category, r.kind, r.period, r.count) for r in DEFAULT_RULES}
    assert len(DEFAULT_RULES) == 14
    assert ("left_behind", "talk", Period.WEEK, 1) in table
    assert ("poor", "home_visit", Period.SEMESTER, 1) in table
    assert ("struggling", "exam_guidance", Period.EXAM, 1) in table
    assert ("problem", "progress_review", Period.MONTH, 1) in table
    assert {r.category for r in DEFAULT_RULES} == {"left_behind", "poor", "struggling", "problem"}


def test_a_log_sent_twice_does_not_count_twice():
    # given twice-weekly tutoring, and one session stored twice on one day (a double tap)
    once_twice = evaluate(
        TWICE_WEEKLY,
        calendar=TERM1,
        span=SINCE_SEPT,
        logs=logs("tutoring", "2025-09-02", "2025-09-02"),
        today=d("2025-09-10"),
    )
    on_two_days = evaluate(
        TWICE_WEEKLY,
        calendar=TERM1,
        span=SINCE_SEPT,
        logs=logs("tutoring", "2025-09-02", "2025-09-04"),
        today=d("2025-09-10"),
    )
    # then the week counts one session and is missed; two days meet it
    assert (once_twice.met, once_twice.missed) == (0, 1)
    assert (on_two_days.met, on_two_days.missed) == (1, 0)


# The first and last days a date can hold: a row written by hand may hold them, and the
# evaluators answer for them instead of raising OverflowError.
FIRST_DAYS = Calendar(
    start=dt.date.min,  # 1 Jan of year 1, a Monday
    end=d("0001-02-28"),
    holidays=frozenset({dt.date.min}),
    exams=(dt.date.min, d("0001-01-10")),
)
LAST_DAYS = Calendar(
    start=d("9999-11-01"),
    end=dt.date.max,  # 31 Dec 9999, a Friday: its week runs past the last date
    holidays=frozenset({d("9999-12-27")}),
    exams=(d("9999-12-25"), dt.date.max),
    year_start=d("9999-08-01"),
    year_end=dt.date.max,
)
CATEGORIES = sorted({rule.category for rule in DEFAULT_RULES})


@pytest.mark.parametrize(
    ("calendar", "today"),
    [
        (FIRST_DAYS, dt.date.min),
        (FIRST_DAYS, d("0001-03-01")),
        (LAST_DAYS, dt.date.max),
        (LAST_DAYS, d("9999-12-15")),
    ],
    ids=["first-day", "after-the-first-days", "last-day", "before-the-last-day"],
)
@pytest.mark.parametrize("category", CATEGORIES)
def test_the_first_and_last_dates_are_evaluated_without_overflow(calendar, today, category):
    # given a pairing active from the calendar's first to its last day, with talks logged
    span = Span(calendar.start, calendar.end)
    records = [Log(calendar.start, "talk"), Log(calendar.end, "talk")]
    # when its duties are evaluated
    result = evaluate_pairing(
        DEFAULT_RULES, category=category, calendar=calendar, span=span, logs=records, today=today
    )
    # then every rule of the category has a status
    assert len(result.statuses) == sum(1 for r in DEFAULT_RULES if r.category == category)


def test_periods_at_the_last_dates_end_on_the_last_date():
    span = Span(LAST_DAYS.start)
    assert owed_periods(Period.MONTH, calendar=LAST_DAYS, span=span)[-1] == Window(
        d("9999-12-01"), dt.date.max
    )
    # the week of 27 Dec is a holiday week; the one before is the last owed
    assert owed_periods(Period.WEEK, calendar=LAST_DAYS, span=span)[-1] == Window(
        d("9999-12-20"), d("9999-12-26")
    )
    assert owed_periods(Period.EXAM, calendar=LAST_DAYS, span=span) == (
        Window(d("9999-12-11"), dt.date.max),
        Window(d("9999-12-26"), dt.date.max),
    )


def test_an_exam_on_the_first_date_has_its_window_from_that_date():
    span = Span(dt.date.min)
    assert owed_periods(Period.EXAM, calendar=FIRST_DAYS, span=span) == (
        Window(dt.date.min, d("0001-01-15")),
        Window(d("0001-01-02"), d("0001-01-24")),
    )


def test_at_the_last_date_the_last_week_is_overdue_after_a_missed_one():
    # given a weekly talk of a calendar ending on the last date, nothing logged
    result = evaluate(
        WEEKLY_TALK,
        calendar=Calendar(start=d("9999-12-13"), end=dt.date.max),
        span=Span(d("9999-12-13")),
        logs=[],
        today=dt.date.max,
    )
    # then the week that ended before is overdue; the current one is the last week
    assert result.status is Status.OVERDUE
    assert result.overdue_since == d("9999-12-27")
    assert result.window == Window(d("9999-12-27"), dt.date.max)


def test_a_pairing_from_the_first_to_the_last_date_owes_what_a_whole_semester_does():
    for rule in DEFAULT_RULES:
        forever = evaluate(
            rule,
            calendar=EXAMS,
            span=Span(dt.date.min, dt.date.max),
            logs=[],
            today=d("2025-12-01"),
        )
        whole = evaluate(rule, calendar=EXAMS, span=SINCE_SEPT, logs=[], today=d("2025-12-01"))
        assert forever == whole
