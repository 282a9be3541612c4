"""The access matrix: every route of the URL conf, present and future, is requested with GET
and POST by each role, on its own objects and on others', and no response shows a student
the role may not see.

The roles are played by the world's users (tests/access.py): T1, a teacher of school A; the
aid office and the principal of school A; the viewer and the administrator of county X
(schools A and B), who may never open a child's record. Their
own objects are T1's side of school A: student S1, T1's pairing, logs, photo, sheet… (the
"a1" side). Others' objects are T2's side of school A (for a teacher: a colleague's student,
pairing, logs and sheet), school B of the same county and school C of county Y: each must
be refused with 403 or 404 and leave the database as it was.

Every response, refused or not, is read whole (HTML, JSON, every cell of a workbook, the text
of a PDF, each member of a ZIP) for the name, 学籍号 or ID number of a student the role may
not see; lists, exports, PDFs and ZIPs are read again with their tabs and searches.

A route without an entry in MATRIX fails `test_every_route_has_an_entry_and_every_entry_a_route`
(and `test_a_route_added_without_an_entry_fails_the_check` shows that it does): add its entry
with who may open it, and, when its URL names an object, what the object is (TARGETS).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model
from django.test import Client, override_settings

from students.selectors import students_visible_to
from tests.access import (
    NAMES,
    PUBLIC,
    Side,
    World,
    fingerprint,
    leaks,
    matrix_gaps,
    routes,
    shown_text,
    unmasked,
)

pytestmark = pytest.mark.django_db

TEACHER, OFFICE, PRINCIPAL, COUNTY = "teacher", "office", "principal", "county"
COUNTY_ADMIN = "county_admin"
ROLES = (TEACHER, OFFICE, PRINCIPAL, COUNTY, COUNTY_ADMIN)
COUNTY_ROLES = (COUNTY, COUNTY_ADMIN)
SCHOOL = (TEACHER, OFFICE, PRINCIPAL)
MANAGERS = (OFFICE, PRINCIPAL)
METHODS = ("get", "post")

# An outcome on one's own objects: OK is any answer below 400 (a page, a file, a redirect),
# a number is that status exactly.
OK = "ok"
Outcome = str | int
# Refusals of someone else's object: 403 (the role may not) or 404 (existence not leaked).
REFUSED = (403, 404)


# ---------------------------------------------------------------------------------------
# What a route's URL names


@dataclass(frozen=True)
class Target:
    """How to name a side's object in a request: the URL's converters take the values of
    their names; anything else goes in the query string, and for a POST in the form too."""

    pick: Callable[[World, Side, str], dict[str, Any]]
    # Whether a colleague of the same school holds one of their own (a student, a
    # pairing…), tried on a teacher, rather than the school's one (a semester…).
    per_teacher: bool = True


TARGETS = {
    "school": Target(lambda w, s, role: {"pk": s.school}, per_teacher=False),
    "student": Target(lambda w, s, role: {"pk": s.student}),
    "pairing": Target(lambda w, s, role: {"pk": s.pairing}),
    "pairing to log under": Target(lambda w, s, role: {"pairing": s.pairing}),
    "log": Target(lambda w, s, role: {"pk": s.log}),
    "photo": Target(lambda w, s, role: {"pk": s.photo}),
    "identification": Target(lambda w, s, role: {"pk": s.proposed}),
    "reminder": Target(lambda w, s, role: {"pk": s.reminders.get(role, s.reminders[TEACHER])}),
    "sheet": Target(lambda w, s, role: {"pk": s.sheet}),
    "staff": Target(lambda w, s, role: {"pk": s.staff}, per_teacher=False),
    "class": Target(lambda w, s, role: {"pk": s.school_class}, per_teacher=False),
    "semester": Target(lambda w, s, role: {"pk": s.semester}, per_teacher=False),
    "semester chosen": Target(lambda w, s, role: {"semester": s.semester}, per_teacher=False),
    "teacher account": Target(lambda w, s, role: {"pk": s.teacher}, per_teacher=False),
    "holiday": Target(lambda w, s, role: {"pk": s.holiday}, per_teacher=False),
    "exam": Target(lambda w, s, role: {"pk": s.exam}, per_teacher=False),
    "export": Target(lambda w, s, role: {"pk": s.export}, per_teacher=False),
    # The office's own semester with a side's pairing: the pairing is what must be checked.
    "pairing of the semester": Target(
        lambda w, s, role: {"pk": w.own.semester, "pairing_pk": s.pairing}
    ),
    "pairing of the semester chosen": Target(
        lambda w, s, role: {"pk": w.own.semester, "pairing": s.pairing}
    ),
    "questionnaire link": Target(lambda w, s, role: {"token": s.token}),
    # A school's aid-office account, which its county's administrator manages.
    "school account": Target(lambda w, s, role: {"pk": s.office.profile}, per_teacher=False),
}


@dataclass(frozen=True)
class Entry:
    """One route's row of the matrix.

    access: each role's outcome of (GET, POST) on its own objects.
    target: what the route's URL names (a key of TARGETS), None for nothing.
    target_roles: the roles whose requests name it (others open the route plain).
    bearer: the link is its own key (a questionnaire's token): nobody else's to refuse.
    content: a list, search, export, PDF or ZIP, read whole for students the role may not
    see (every response is, in the matrix; these also with their views and searches).
    views: other query strings it is read with (its tabs, its filters naming others'
    semesters, classes and teachers).
    search: the query parameter of its search box.
    shows: the roles to whom it names S1: proof that the text is read (for the paths
    containing one of `shows_in`, when given).
    """

    access: dict[str, tuple[Outcome, Outcome]]
    target: str | None = None
    target_roles: tuple[str, ...] = ROLES
    bearer: bool = False
    content: bool = False
    views: tuple[Callable[[World], dict[str, Any]], ...] = ()
    search: str | None = None
    shows: tuple[str, ...] = ()
    shows_in: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert set(self.access) == set(ROLES), self.access
        assert self.target is None or self.target in TARGETS, self.target


def allow(*roles: str, get: Outcome = OK, post: Outcome = OK, **special: tuple) -> dict:
    """The roles that may use the route, with their outcomes of GET and POST; every other
    role is refused with 403. `special` gives one role a pair of its own."""
    access = {role: (get, post) if role in roles else (403, 403) for role in ROLES}
    return access | special


POST_ONLY = 405  # the GET of a route that only acts

# Filters naming a colleague's class and other schools' semester, class and teacher: a form
# offers only the user's school's, and a page must not show what they would select.
FOREIGN_FILTERS = (
    lambda w: {"school_class": w.sides["a2"].school_class.pk},
    lambda w: {"semester": w.sides["b"].semester.pk},
    lambda w: {"school_class": w.sides["b"].school_class.pk},
    lambda w: {"teacher": w.sides["b"].teacher.pk},
)

MATRIX: dict[str, Entry] = {
    # Public, or for anyone logged in
    "login": Entry(allow(*ROLES)),  # a logged-in user is sent on
    "logout": Entry(allow(*ROLES, get=POST_ONLY)),
    "set_language": Entry(allow(*ROLES)),
    "questionnaire_answer": Entry(allow(*ROLES), target="questionnaire link", bearer=True),
    "questionnaire_thanks": Entry(allow(*ROLES, post=405)),
    "home": Entry(allow(*ROLES)),
    "password_change": Entry(allow(*ROLES)),
    "session_alive": Entry(allow(*ROLES, post=405)),
    "service_worker": Entry(allow(*ROLES, post=405)),
    "manifest": Entry(allow(*ROLES, post=405)),
    # Dashboards
    "dashboard": Entry(allow(*MANAGERS), content=True, views=FOREIGN_FILTERS),
    "pairing_cap": Entry(allow(OFFICE, get=POST_ONLY)),
    "county": Entry(allow(*COUNTY_ROLES), content=True),
    "county_school": Entry(allow(*COUNTY_ROLES), target="school", content=True),
    # The county administrator's schools and their accounts: no child on any of them.
    "county_schools": Entry(allow(COUNTY_ADMIN, post=405), content=True, search="q"),
    "county_school_create": Entry(allow(COUNTY_ADMIN)),  # an empty form comes back (200)
    "county_account_reset": Entry(allow(COUNTY_ADMIN, get=POST_ONLY), target="school account"),
    "county_account_set_active": Entry(allow(COUNTY_ADMIN, get=POST_ONLY), target="school account"),
    # Nothing waits: the page says so (a redirect).
    "county_passwords": Entry(allow(COUNTY_ADMIN, get=POST_ONLY)),
    # The county's schools sheet: a POST without a file comes back with the message (200), a
    # confirmation without a token is sent back to the upload (a redirect).
    "county_schools_import": Entry(allow(COUNTY_ADMIN)),
    "county_schools_import_confirm": Entry(allow(COUNTY_ADMIN, get=POST_ONLY)),
    "county_schools_template": Entry(allow(COUNTY_ADMIN, post=405), content=True),
    # A teacher's day
    "me": Entry(allow(*SCHOOL), content=True, shows=(TEACHER,)),
    # The pages a teacher's phone keeps for offline use: only a teacher's, only her own.
    "offline_pages": Entry(allow(TEACHER, post=405), content=True),
    "offline_sent": Entry(allow(TEACHER, post=405)),
    "student_detail": Entry(allow(*SCHOOL), target="student", shows=SCHOOL),
    # Incidents are recorded by the office and the student's homeroom teacher (T1 is S1's).
    "incident_create": Entry(
        allow(TEACHER, OFFICE, principal=(404, 404)), target="student", shows=(TEACHER, OFFICE)
    ),
    # Aid is logged by the pairing's teacher and the office; others find no pairing.
    "log_create": Entry(
        allow(TEACHER, OFFICE, principal=(404, 404)),
        target="pairing to log under",
        shows=(TEACHER, OFFICE),
    ),
    "log_detail": Entry(allow(*SCHOOL), target="log", shows=SCHOOL),
    "log_edit": Entry(allow(*SCHOOL), target="log"),  # the principal is sent back to it
    "log_withdraw": Entry(allow(*SCHOOL), target="log"),
    "photo": Entry(allow(*SCHOOL), target="photo"),
    "reminder_read": Entry(allow(*SCHOOL, get=POST_ONLY), target="reminder"),
    # The office's calendar and rules
    "duty_rules": Entry(allow(OFFICE)),
    "duty_rules_reset": Entry(allow(OFFICE, get=POST_ONLY)),
    "school_calendar": Entry(allow(OFFICE), target="semester chosen"),
    "holiday_week_remove": Entry(allow(OFFICE, get=POST_ONLY), target="holiday"),
    "exam_remove": Entry(allow(OFFICE, get=POST_ONLY), target="exam"),
    # The roster
    "student_list": Entry(
        allow(*SCHOOL), content=True, views=FOREIGN_FILTERS, search="q", shows=SCHOOL
    ),
    "student_create": Entry(allow(OFFICE)),
    "student_edit": Entry(allow(OFFICE), target="student", shows=(OFFICE,)),
    "identification_create": Entry(allow(OFFICE), target="student", shows=(OFFICE,)),
    "identification_list": Entry(allow(OFFICE), content=True, shows=(OFFICE,)),
    "identification_approve": Entry(allow(OFFICE, get=POST_ONLY), target="identification"),
    "identification_reject": Entry(allow(OFFICE, get=POST_ONLY), target="identification"),
    "semester_list": Entry(allow(OFFICE), content=True),
    "semester_edit": Entry(allow(OFFICE), target="semester"),
    "class_list": Entry(allow(OFFICE), content=True),
    "class_edit": Entry(allow(OFFICE), target="class"),
    "staff_list": Entry(allow(OFFICE), content=True),
    "staff_create": Entry(allow(OFFICE)),
    "staff_edit": Entry(allow(OFFICE), target="staff"),
    "staff_reset_password": Entry(allow(OFFICE, get=POST_ONLY), target="staff"),
    "staff_set_active": Entry(allow(OFFICE, get=POST_ONLY), target="staff"),
    "lockout_list": Entry(allow(OFFICE), content=True),
    "lockout_unlock": Entry(allow(OFFICE, get=POST_ONLY), target="teacher account"),
    # The full ID number, to the office only, on purpose (a POST) and logged.
    "student_id_reveal": Entry(allow(OFFICE, get=POST_ONLY), target="student", shows=(OFFICE,)),
    # The audit trail: the school's changes and access log, and one student's history.
    "audit_home": Entry(
        allow(*MANAGERS),
        content=True,
        views=(
            lambda w: {"view": "access"},
            lambda w: {"view": "erasures"},
            lambda w: {"kind": "student"},
        ),
        shows=MANAGERS,
    ),
    "student_history": Entry(allow(*MANAGERS), target="student", content=True, shows=MANAGERS),
    # S1 is enrolled: the page explains why it cannot be erased, and a POST is refused (400).
    "student_erase": Entry(allow(OFFICE, post=400), target="student", shows=(OFFICE,)),
    # Pairings: the plan is its teacher's and the office's, not the principal's to edit.
    "pairing_list": Entry(allow(*MANAGERS), content=True, search="q", shows=MANAGERS),
    "pairing_create": Entry(allow(OFFICE), target="student", shows=(OFFICE,)),
    "pairing_end": Entry(allow(OFFICE), target="pairing", shows=(OFFICE,)),
    "plan_edit": Entry(
        allow(TEACHER, OFFICE, principal=(403, 403)), target="pairing", shows=(TEACHER, OFFICE)
    ),
    # Spreadsheets
    "import_home": Entry(allow(OFFICE)),
    "import_upload": Entry(allow(OFFICE)),
    "import_confirm": Entry(allow(OFFICE, get=POST_ONLY)),
    "import_passwords": Entry(allow(OFFICE, get=POST_ONLY)),
    "import_template": Entry(allow(OFFICE), content=True),
    "import_export": Entry(
        allow(OFFICE),
        content=True,
        shows=(OFFICE,),
        shows_in=("/students/", "/pairings/", "/scores/", "/incidents/"),
    ),
    "ledger_home": Entry(allow(*SCHOOL)),
    "ledger_export": Entry(
        allow(*SCHOOL),
        content=True,
        views=FOREIGN_FILTERS,
        shows=SCHOOL,
        shows_in=("/pairings/", "/logs/"),
    ),
    # The assessment: a teacher sees their own sheets, the managers the school's.
    "sheet_list": Entry(
        allow(*SCHOOL), target="semester chosen", target_roles=MANAGERS, content=True
    ),
    "assessment_rules": Entry(allow(OFFICE)),
    "sheets_compute": Entry(allow(OFFICE, get=POST_ONLY), target="semester"),
    "summary_xlsx": Entry(allow(*MANAGERS), target="semester", content=True, shows=MANAGERS),
    "export_start": Entry(allow(*MANAGERS, get=POST_ONLY), target="semester"),
    "export_detail": Entry(allow(*MANAGERS), target="export"),
    "export_download": Entry(allow(*MANAGERS), target="export", content=True, shows=MANAGERS),
    "sheet_detail": Entry(allow(*SCHOOL), target="sheet", shows=SCHOOL),
    "sheet_pdf": Entry(allow(*SCHOOL), target="sheet", content=True, shows=SCHOOL),
    "sheet_submit": Entry(allow(OFFICE, get=POST_ONLY), target="sheet"),
    # The sheet is a draft: the principal reaches it, and it comes back with the error (400).
    "sheet_approve": Entry(allow(PRINCIPAL, get=POST_ONLY, post=400), target="sheet"),
    "sheet_return": Entry(allow(PRINCIPAL, get=POST_ONLY, post=400), target="sheet"),
    "sheet_reopen": Entry(allow(PRINCIPAL, get=POST_ONLY, post=400), target="sheet"),
    # Questionnaires: the principal reads the list, the office issues and types in.
    "questionnaire_list": Entry(
        allow(*MANAGERS), target="semester", content=True, search="q", shows=MANAGERS
    ),
    "questionnaire_issue": Entry(
        allow(OFFICE, get=POST_ONLY), target="pairing of the semester chosen"
    ),
    "questionnaire_enter": Entry(allow(OFFICE), target="pairing of the semester", shows=(OFFICE,)),
}


# ---------------------------------------------------------------------------------------
# The cases


def others_of(role: str, entry: Entry) -> tuple[str, ...]:
    """The sides whose objects the role must not reach through the route."""
    if entry.target is None or entry.bearer or role not in entry.target_roles:
        return ()
    if role in COUNTY_ROLES:
        return ("c",)  # school B is in the county's own
    if role == TEACHER and TARGETS[entry.target].per_teacher:
        return ("a2", "b", "c")
    return ("b", "c")


@dataclass(frozen=True)
class Case:
    name: str
    pattern: str
    role: str
    side: str  # "a1": the role's own objects
    method: str

    @property
    def id(self) -> str:
        return f"{self.name}:/{self.pattern}-{self.role}-{self.side}-{self.method}"


LIVE = sorted(set(routes()))
CASES = [
    Case(name, pattern, role, side, method)
    for name, pattern in LIVE
    if name in MATRIX
    for role in ROLES
    for side in ("a1", *others_of(role, MATRIX[name]))
    for method in METHODS
]
SCANS = [
    (name, pattern, role)
    for name, pattern in LIVE
    if name in MATRIX and MATRIX[name].content
    for role in ROLES
    if MATRIX[name].access[role][0] == OK
]


# ---------------------------------------------------------------------------------------
# The world (the `world` fixture of tests/aidcase/conftest.py), built once for the module;
# each test runs in a savepoint rolled back after it


def client_of(world: World, role: str) -> Client:
    """A client of the role's session, fresh for each request: nothing a response sets (a
    language cookie, a logout) reaches the next test."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def request(world: World, case: Case, values: dict[str, Any], query: dict | None = None):
    def plain(value: Any) -> Any:
        return value.pk if isinstance(value, Model) else value

    in_path = set(CONVERTER.findall(case.pattern))
    missing = in_path - set(values)
    assert not missing, f"{case.name}: the matrix names nothing for {missing} in /{case.pattern}"
    url = "/" + CONVERTER.sub(lambda m: str(plain(values[m[1]])), case.pattern)
    data = {k: plain(v) for k, v in values.items() if k not in in_path} | (query or {})
    client = client_of(world, case.role)
    if case.method == "get":
        return client.get(url, data)
    # Views read what a POST names from its form or from its query string: send it in both.
    return client.post(url, data, query_params=data)


def values_of(world: World, entry: Entry, side: str, role: str) -> dict[str, Any]:
    if entry.target is None or role not in entry.target_roles:
        return {}
    return TARGETS[entry.target].pick(world, world.sides[side], role)


def outcome_matches(expected: Outcome, status: int) -> bool:
    return status < 400 if expected == OK else status == expected


def hidden_shown(world: World, role: str, text: str, *, public: bool = False) -> str:
    """What the text shows that the role may not see, in words ("" for nothing)."""
    problems = []
    found = leaks(text, world.hidden(role))
    if found:
        problems.append(f"shows {', '.join(found)}, whom the {role} may not see")
    if role != OFFICE:
        found = unmasked(text, world.students)
        if found:
            problems.append(f"shows the whole ID number of {', '.join(found)} to the {role}")
    found = [name for name in world.outsiders(role, public=public) if name in text]
    if found:
        problems.append(f"names {', '.join(found)}, out of the {role}'s reach")
    return "; ".join(problems)


# ---------------------------------------------------------------------------------------
# The tests


def test_every_route_has_an_entry_and_every_entry_a_route():
    gaps = matrix_gaps(MATRIX)
    assert not gaps, "\n".join(gaps)


def test_a_route_added_without_an_entry_fails_the_check():
    with override_settings(ROOT_URLCONF="tests.access"):
        gaps = matrix_gaps(MATRIX)
    assert len(gaps) == 1, gaps
    assert gaps[0].startswith(
        "route 'unmapped_for_the_meta_test' (unmapped/<int:pk>/) has no entry"
    )


def test_an_entry_naming_no_route_fails_the_check():
    gaps = matrix_gaps([*MATRIX, "route_gone_since"])
    assert gaps == [
        "MATRIX entry 'route_gone_since' names no route of the URL conf: remove it or fix its name"
    ]


def test_the_public_routes_are_in_the_matrix():
    assert set(MATRIX) >= PUBLIC


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_role_reaches_its_own_objects_and_nobody_elses(world, case):
    entry = MATRIX[case.name]
    expected = entry.access[case.role][METHODS.index(case.method)]
    values = values_of(world, entry, case.side, case.role)
    own = case.side == "a1"
    before = None if own else fingerprint(values.values())

    response = request(world, case, values)

    status = response.status_code
    text = shown_text(response)
    if own:
        assert outcome_matches(expected, status), (
            f"{case.role} {case.method.upper()} {response.wsgi_request.get_full_path()}: "
            f"{status}, expected {expected}"
        )
    else:
        # A route that only acts refuses a GET before it looks anything up.
        allowed = REFUSED + ((expected,) if expected == POST_ONLY else ())
        assert status in allowed, (
            f"{case.role} {case.method.upper()} {response.wsgi_request.get_full_path()} "
            f"(side {case.side}'s object): {status}, expected 403 or 404"
        )
        assert fingerprint(values.values()) == before, "a refused request changed the database"
    problem = hidden_shown(world, case.role, text, public=case.name in PUBLIC)
    assert not problem, problem
    if own and case.role in entry.shows and status == 200 and _shows_here(entry, case.pattern):
        assert leaks(text, [world.own.student]), f"{case.name}: S1 not found in the response"


def _shows_here(entry: Entry, pattern: str) -> bool:
    return not entry.shows_in or any(part in f"/{pattern}" for part in entry.shows_in)


def searches(world: World, role: str) -> list[tuple[str, str | None]]:
    """Queries for the search box, each with the student who must then be shown (None: no
    one need be): the start of each hidden student's name and 学籍号, then S1's."""
    queries: list[tuple[str, str | None]] = []
    for student in world.hidden(role):
        queries += [(student.name[:3], None), (student.student_no[:3], None)]
    s1 = world.own.student
    if s1.pk in world.visible(role):
        queries += [(s1.name[:3], s1.name), (s1.student_no[:3], s1.name)]
    return queries


@pytest.mark.parametrize(
    ("name", "pattern", "role"), SCANS, ids=[f"{n}:/{p}-{r}" for n, p, r in SCANS]
)
def test_lists_exports_and_pdfs_show_only_the_students_the_role_may_see(world, name, pattern, role):
    entry = MATRIX[name]
    case = Case(name, pattern, role, "a1", "get")
    values = values_of(world, entry, "a1", role)
    queries: list[tuple[dict, str | None]] = [({}, None)]
    queries += [(view(world), None) for view in entry.views]
    if entry.search:
        queries += [({entry.search: q}, must) for q, must in searches(world, role)]
    for query, must in queries:
        response = request(world, case, values, query)
        assert response.status_code == 200, (name, query, response.status_code)
        text = shown_text(response)
        problem = hidden_shown(world, role, text)
        assert not problem, f"{name} {query or ''}: {problem}"
        if must:
            assert must in text, f"{name} {query}: the search did not find {must}"
        if not query and role in entry.shows and _shows_here(entry, pattern):
            assert leaks(text, [world.own.student]), f"{name}: S1 not found, is the text read?"


def test_a_questionnaire_link_names_no_student_and_a_wrong_one_opens_nothing(world):
    client = Client()
    page = client.get(f"/q/{world.own.token}/")
    assert page.status_code == 200
    assert not leaks(shown_text(page), world.students)
    assert client.get("/q/not-a-token/").status_code == 404
    assert client.post("/q/not-a-token/", {"q1": "5"}).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_world_is_what_the_matrix_assumes(world, role):
    """Whom each role may see is what the scoping selector says (T1: S1 alone; the office
    and the principal: school A; the county viewer and administrator: no one), and the
    names and 学籍号 are told apart by their first three characters, as the searches need."""
    visible = students_visible_to(user=world.actor(role)).values_list("pk", flat=True)
    assert set(visible) == world.visible(role)
    assert {s.name[:3] for s in world.students} == {n[:3] for n, _no, _id in NAMES.values()}
    assert len({s.student_no[:3] for s in world.students}) == len(world.students)
    assert world.sides["b"].school.county_id == world.own.school.county_id
    assert world.sides["c"].school.county_id != world.own.school.county_id
    assert world.county_viewer.profile.county_id == world.own.school.county_id
    assert world.county_admin.profile.county_id == world.own.school.county_id
