"""Demo data for people trying AidCase: rural middle schools of one county in Guizhou, with
staff, classes, a full roster, category identifications and pairings for the current
semester and the one before.

Every kind of data has its own function and its own random stream (seeded from the run's
seed, the school code and the kind), so adding a kind later (scores, say) leaves what the
existing kinds generate for a given seed unchanged. The school calendar, the activity logs
(following the duty rules, with the uneven diligence of real teachers) and the incidents
came that way. The texts they pick from are data, in demo/data/.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from demo.logs import create_logs
from demo.pairings import create_pairings
from demo.people import (
    create_classes,
    create_identifications,
    create_school,
    create_staff,
    create_students,
    plan_pupils,
)
from demo.records import create_assessment, create_incidents, create_scores
from demo.school import COUNTY_NAME, DemoSchool
from demo.school_calendar import create_calendar
from students.models import County, Profile, Role, School
from students.selectors import today
from visits.duty_store import duty_status_rebuild
from visits.tasks import rebuild_duty_status_later

User = get_user_model()

MAX_SCHOOLS = 600  # a whole county (~150 schools) and then some: the benchmarks ask for 600
MIN_STUDENTS, MAX_STUDENTS = 10, 5000
COUNTY_USERNAME = "county"


@dataclass(frozen=True)
class DemoAccount:
    """One login made by the demo: what it is for, and whose it is."""

    role: str
    username: str
    name: str
    school: str


def demo_school_codes(count: int) -> list[str]:
    return [f"DEMO{n}" for n in range(1, count + 1)]


@transaction.atomic
def demo_seed(
    *,
    schools: int,
    students_per_school: int,
    seed: int,
    password: str,
    on: dt.date | None = None,
) -> list[DemoAccount]:
    """Creates `schools` demo schools (DEMO1…DEMOn) in one county, each with
    `students_per_school` students, and the accounts to look at them: `county`, and per school
    `principal-<CODE>`, `office-<CODE>` and teachers by 工号, all with `password`. The same
    seed gives the same data; dates follow the day `on` (today by default), which sets the
    current semester. Refuses, writing nothing, when any of the codes or usernames is taken."""
    _check_arguments(schools=schools, students_per_school=students_per_school, password=password)
    codes = demo_school_codes(schools)
    _check_not_seeded(codes)
    # One hash for every account: hashing per user would take minutes for large runs.
    password_hash = make_password(password)
    county, _created = County.objects.get_or_create(name=COUNTY_NAME)
    accounts = [_create_county_viewer(county=county, password_hash=password_hash)]
    day = on or today()
    # ID numbers (and the 学籍号 made from them) must be unique across all the schools.
    id_numbers: set[str] = set()
    for index, code in enumerate(codes):
        demo = create_school(
            index=index, code=code, seed=seed, day=day, size=students_per_school,
            password_hash=password_hash, id_numbers=id_numbers,
        )  # fmt: skip
        create_staff(demo)
        create_classes(demo)
        plan_pupils(demo)
        create_students(demo)
        create_identifications(demo)
        create_pairings(demo)
        create_calendar(demo)
        create_logs(demo)
        create_incidents(demo)
        create_scores(demo)
        create_assessment(demo)
        accounts.extend(_accounts_of(demo))
    after_logs_written(codes)
    return accounts


def after_logs_written(codes: list[str]) -> None:
    """What is derived from the demo's records once all of them are written (in bulk, so no
    service kept it current on the way): called once, at the end of the seeding transaction,
    with the codes of the schools made. The stored duty status of the semester the pages show
    first is counted now; the semester before is left to the task worker (`make run` starts
    one), and a page that reads it first counts what it needs itself."""
    schools = list(School.objects.filter(code__in=codes))
    duty_status_rebuild(schools=schools, force=True, latest_only=True)
    for school in schools:
        rebuild_duty_status_later(school_id=school.pk)


def _check_arguments(*, schools: int, students_per_school: int, password: str) -> None:
    errors = []
    if not 1 <= schools <= MAX_SCHOOLS:
        errors.append(
            _("学校数量应在 1 到 %(max)s 之间（收到 %(value)s）")
            % {"max": MAX_SCHOOLS, "value": schools}
        )
    if not MIN_STUDENTS <= students_per_school <= MAX_STUDENTS:
        errors.append(
            _("每校学生人数应在 %(min)s 到 %(max)s 之间（收到 %(value)s）")
            % {"min": MIN_STUDENTS, "max": MAX_STUDENTS, "value": students_per_school}
        )
    if not password.strip():
        errors.append(_("密码不能为空"))
    if errors:
        raise ValidationError(errors)


def _check_not_seeded(codes: list[str]) -> None:
    taken_codes = list(School.objects.filter(code__in=codes).values_list("code", flat=True))
    fixed = [COUNTY_USERNAME] + [
        f"{role}-{code}" for code in codes for role in ("principal", "office")
    ]
    staff = Q(username__in=fixed)
    for code in codes:
        staff |= Q(username__startswith=f"{code}T")
    taken_users = list(User.objects.filter(staff).values_list("username", flat=True)[:5])
    if taken_codes or taken_users:
        raise ValidationError(
            _("演示数据已存在（%(taken)s），未写入任何数据；请在新的数据库中生成演示数据。")
            % {"taken": "、".join([*taken_codes, *taken_users])}
        )


def _create_county_viewer(*, county: County, password_hash: str) -> DemoAccount:
    user = User.objects.create(username=COUNTY_USERNAME, password=password_hash)
    name = _("%(county)s教育局") % {"county": county.name}
    Profile.objects.create(user=user, role=Role.COUNTY, county=county, name=name)
    return DemoAccount(role=str(Role.COUNTY.label), username=user.username, name=name, school="")


def _accounts_of(demo: DemoSchool) -> list[DemoAccount]:
    homeroom = {c.homeroom_teacher.pk: c.name for c in demo.classes if c.homeroom_teacher}
    accounts = []
    for user in [demo.principal, demo.office, *demo.teachers]:
        profile = user.profile
        role = str(Role(profile.role).label)
        if user.pk in homeroom:
            role = _("%(role)s（%(class)s班主任）") % {"role": role, "class": homeroom[user.pk]}
        accounts.append(
            DemoAccount(
                role=role, username=user.username, name=profile.name, school=demo.school.name
            )
        )
    return accounts
