"""Writes for schools, semesters, classes, students and category identification."""

import datetime as dt
import re
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcase.audit import DEACTIVATE_REASON, PASSWORD_RESET_REASON, REACTIVATE_REASON
from aidcase.security import sessions_end_for
from students.models import (
    Category,
    Cohort,
    County,
    Identification,
    Profile,
    Role,
    School,
    SchoolClass,
    Semester,
    Student,
    leaving_day,
    other_term_code,
    semester_default_dates,
    validate_semester_code,
)
from students.signals import student_left


@transaction.atomic
def school_create(
    *, code: str, name: str, county_name: str = "", town: str = "", stage: str = ""
) -> School:
    """Creates a school, and its county when one is named and does not exist yet."""
    code, name, county_name = code.strip(), name.strip(), county_name.strip()
    county = County.objects.filter(name=county_name).first() if county_name else None
    if county_name and county is None:
        county = County(name=county_name)
        county.full_clean()
        county.save()
    school = School(code=code, name=name, county=county, town=town.strip(), stage=stage.strip())
    school.full_clean()
    school.save()
    return school


@transaction.atomic
def county_school_add(
    *,
    county: County,
    code: str,
    name: str,
    town: str = "",
    stage: str = "",
    principal_name: str = "",
    office_name: str = "",
    by: Any,
) -> tuple[School, list[tuple[str, str, str]]]:
    """A new school of the county with its aid-office and principal accounts, as a row of the
    schools sheet makes them (the same `school_accounts_create`). A code held by a school,
    of this county or another, is refused without naming another county's school: the
    county administrator sees only their own. Returns the school and the (username, role,
    one-time password) rows, shown this once."""
    code, name = code.strip(), name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写学校名称")]
    existing = School.objects.filter(code__iexact=code).first() if code else None
    if not code:
        errors["code"] = [_("请填写学校代码")]
    elif existing is not None and existing.county_id == county.pk:
        errors["code"] = [
            _("本县已有学校代码 %(code)s：%(name)s")
            % {"code": existing.code, "name": existing.name}
        ]
    elif existing is not None:
        errors["code"] = [
            _("学校代码 %(code)s 已被其他县（区）的学校使用，请核对代码") % {"code": code}
        ]
    else:
        problems = school_account_problems(code=code)
        if problems:
            errors["code"] = problems
    if errors:
        raise ValidationError(errors)
    school = school_create(code=code, name=name, county_name=county.name, town=town, stage=stage)
    accounts = school_accounts_create(
        school=school, office_name=office_name, principal_name=principal_name, by=by
    )
    return school, accounts


@transaction.atomic
def semester_create(
    *, school: School, code: str, start: dt.date | None = None, end: dt.date | None = None
) -> Semester:
    """A semester with the given teaching dates, or the defaults for its code
    (term 1: 1 Sep – 31 Jan, term 2: 1 Feb – 31 Jul)."""
    try:
        validate_semester_code(code)
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from None
    if Semester.objects.filter(school=school, code=code).exists():
        raise ValidationError({"code": _("本校已有学期 %(code)s") % {"code": code}})
    default_start, default_end = _default_dates(school=school, code=code)
    semester = Semester(
        school=school, code=code, start=start or default_start, end=end or default_end
    )
    semester.full_clean()
    semester.save()
    return semester


def _default_dates(*, school: School, code: str) -> tuple[dt.date, dt.date]:
    """The default dates of the term, moved clear of the other term of the school year when
    the office gave that one dates reaching past them: term 1 ends before term 2 starts, and
    a semester an import names is created without asking anyone for dates."""
    start, end = semester_default_dates(code)
    other = Semester.objects.filter(school=school, code=other_term_code(code)).first()
    if other is None:
        return start, end
    other_start, other_end = other.teaching_dates
    if code.endswith("1"):
        return start, min(end, other_start - dt.timedelta(days=1))
    return max(start, other_end + dt.timedelta(days=1)), end


def semester_get_or_create(*, school: School, code: str) -> Semester:
    """The school's semester with this code, created with default dates if it is new."""
    semester = Semester.objects.filter(school=school, code=code).first()
    return semester or semester_create(school=school, code=code)


@transaction.atomic
def semester_update(*, semester: Semester, start: dt.date, end: dt.date) -> Semester:
    semester.start, semester.end = start, end
    semester.full_clean()
    semester.save()
    return semester


def cohort_get_or_create(*, school: School, entry_year: int) -> Cohort:
    cohort = Cohort.objects.filter(school=school, entry_year=entry_year).first()
    if cohort is None:
        cohort = Cohort(school=school, entry_year=entry_year)
        cohort.full_clean()
        cohort.save()
    return cohort


@transaction.atomic
def school_class_save(
    *,
    school: School,
    entry_year: int,
    name: str,
    homeroom_teacher: Any = None,
    school_class: SchoolClass | None = None,
) -> SchoolClass:
    """Creates a class, or updates one, in the cohort of its entry year."""
    cohort = cohort_get_or_create(school=school, entry_year=entry_year)
    if (
        school_class is not None
        and school_class.cohort_id != cohort.pk
        and school_class.students.exists()
    ):
        raise ValidationError({"entry_year": _("班级已有学生，不能更改入学年份")})
    name = name.strip()
    duplicate = SchoolClass.objects.filter(cohort=cohort, name=name)
    if school_class is not None:
        duplicate = duplicate.exclude(pk=school_class.pk)
    if duplicate.exists():
        raise ValidationError(
            {"name": _("%(cohort)s已有班级“%(name)s”") % {"cohort": cohort, "name": name}}
        )
    school_class = school_class or SchoolClass(school=school)
    school_class.cohort = cohort
    school_class.name = name
    school_class.homeroom_teacher = homeroom_teacher
    school_class.full_clean()
    school_class.save()
    return school_class


@transaction.atomic
def student_save(*, student: Student, entry_year: int, by: Any) -> Student:
    """Validates and saves a student record (new or changed), in the cohort of its entry
    year, which is created with it when it is the school's first student of that year.

    A student who leaves (graduated, transferred, dropped out) gets the day they left, today
    unless given; a graduated or transferred student's open pairings end on that day, so that
    no duties come due for a child who is gone (the pairing app does it on `student_left`). A
    student back at school (在读, 休学) has no such day and leaves the archive."""
    student.cohort = cohort_get_or_create(school=student.school, entry_year=entry_year)
    student.left_on = leaving_day(student.status, student.left_on)
    if not student.has_left:
        student.archived_at = None
    student.full_clean()
    student.save()
    if student.has_left:
        student_left.send(sender=Student, student=student, by=by)
    return student


@transaction.atomic
def identification_propose(
    *,
    student: Student,
    semester: Semester,
    category: str,
    source: str,
    note: str = "",
    by: Any,
) -> Identification:
    """Proposes a student for a category in a semester; the aid office reviews it."""
    if Identification.objects.filter(
        student=student, semester=semester, category=category
    ).exists():
        raise ValidationError(
            {
                "category": _("该学生在%(semester)s已有“%(category)s”的认定")
                % {"semester": semester.label, "category": Category(category).label}
            }
        )
    identification = Identification(
        student=student,
        semester=semester,
        category=category,
        source=source,
        note=note.strip(),
        proposed_by=by,
    )
    identification.full_clean()
    identification.save()
    return identification


@transaction.atomic
def identification_approve(*, identification: Identification, by: Any) -> Identification:
    """Approves a proposed identification; approving twice changes nothing."""
    if identification.state == Identification.State.APPROVED:
        return identification
    identification.state = Identification.State.APPROVED
    identification.approved_by = by
    identification.approved_at = timezone.now()
    identification.full_clean()
    identification.save()
    return identification


@transaction.atomic
def identification_reject(*, identification: Identification, by: Any) -> None:
    """Drops a proposal that was not accepted; approved identifications are kept as records."""
    if identification.state == Identification.State.APPROVED:
        raise ValidationError(_("已认定的记录不能驳回"))
    identification.delete()


STAFF_NUMBER_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# No 0/O, 1/l/I: the one-time password is read off a screen or a printed slip.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105


# One-time passwords are 12 random characters (about 69 bits), not chosen by a person: a
# dictionary or brute-force attack on their hash is hopeless even with few PBKDF2 rounds. With
# the full 1.5 million rounds an import of 200 teachers would spend two minutes hashing; with
# these it spends a second. Django re-hashes with the full count at the first login
# (PBKDF2PasswordHasher.must_update), and the password is changed then anyway.
ONE_TIME_PASSWORD_ITERATIONS = 10_000


def one_time_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))


def one_time_hash(password: str) -> str:
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=ONE_TIME_PASSWORD_ITERATIONS)
    return make_password(password)


@transaction.atomic
def staff_create(
    *,
    school: School,
    staff_number: str,
    name: str,
    phone: str = "",
    subjects: str = "",
    role: str = Role.TEACHER,
    by: Any,
) -> tuple[Any, str]:
    """Creates a school account whose username is the 工号, with a one-time password that
    must be changed at first login. Returns the user and that password (shown once)."""
    staff_number = staff_number.strip()
    if not STAFF_NUMBER_RE.match(staff_number):
        raise ValidationError(
            {"staff_number": _("工号只能包含字母、数字、下划线或连字符，最多32位")}
        )
    if get_user_model().objects.filter(username__iexact=staff_number).exists():
        raise ValidationError(
            {"staff_number": _("工号 %(number)s 已被使用") % {"number": staff_number}}
        )
    return _account_create(
        username=staff_number,
        role=role,
        school=school,
        name=name.strip(),
        phone=phone.strip(),
        subjects=subjects.strip(),
    )


def _account_create(*, username: str, **profile_fields: Any) -> tuple[Any, str]:
    """Every account AidCase makes: a user with a one-time password that must be changed at
    first login, and its profile. Returns the user and that password (shown once)."""
    password = one_time_password()
    user = get_user_model().objects.create(username=username, password=one_time_hash(password))
    profile = Profile(user=user, must_change_password=True, **profile_fields)
    profile.full_clean()
    profile.save()
    return user, password


@transaction.atomic
def county_admin_create(
    *, username: str, county_name: str, name: str = "", by: Any
) -> tuple[Any, str, bool]:
    """Creates a county administrator (县教育局管理员) of the named county, the county too when
    it is new. The username is refused when taken (in any case) or outside the account
    charset. Returns the user, its one-time password (shown once) and whether the county
    was created."""
    username, county_name = username.strip(), county_name.strip()
    errors: dict[str, list[str]] = {}
    if not STAFF_NUMBER_RE.match(username):
        errors["username"] = [_("用户名只能包含字母、数字、下划线或连字符，最多32位")]
    elif taken := (
        get_user_model()
        .objects.filter(username__iexact=username)
        .values_list("username", flat=True)
        .first()
    ):
        errors["username"] = [_("账号 %(username)s 已存在") % {"username": taken}]
    county = County.objects.filter(name=county_name).first() or County(name=county_name)
    created = county._state.adding
    if created:
        try:
            county.full_clean()
        except ValidationError as error:
            errors["county"] = error.messages
    if errors:
        raise ValidationError(errors)
    if created:
        county.save()
    user, password = _account_create(
        username=username,
        role=Role.COUNTY_ADMIN,
        county=county,
        school=None,
        name=name.strip() or str(Role.COUNTY_ADMIN.label),
    )
    return user, password, created


# The two accounts every school gets (DESIGN "Management commands"), by the role they hold.
SCHOOL_ACCOUNT_ROLES = (("office", Role.OFFICE), ("principal", Role.PRINCIPAL))


def school_account_usernames(*, code: str) -> list[tuple[str, Role]]:
    """`office-<CODE>` and `principal-<CODE>`, with their roles."""
    return [(f"{prefix}-{code}", role) for prefix, role in SCHOOL_ACCOUNT_ROLES]


def school_account_problems(*, code: str) -> list[str]:
    """Why the school's two accounts cannot be made: a username that is too long for an
    account name (32 characters) or already taken."""
    usernames = [username for username, _role in school_account_usernames(code=code)]
    if any(len(username) > 32 for username in usernames):
        return [_("学校代码最多 22 位才能建立账号（principal-学校代码 不能超过 32 位）")]
    taken = (
        get_user_model()
        .objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=[u.lower() for u in usernames])
        .values_list("username", flat=True)
    )
    return [_("账号 %(username)s 已存在") % {"username": username} for username in sorted(taken)]


@transaction.atomic
def school_accounts_create(
    *, school: School, office_name: str = "", principal_name: str = "", by: Any
) -> list[tuple[str, str, str]]:
    """Creates the school's aid-office and principal accounts (`office-<CODE>`,
    `principal-<CODE>`), each with a one-time password that must be changed at first login.
    Returns (username, role, password) rows: the passwords are shown this once only."""
    problems = school_account_problems(code=school.code)
    if problems:
        raise ValidationError(problems)
    names = {Role.OFFICE: office_name.strip(), Role.PRINCIPAL: principal_name.strip()}
    accounts = []
    for username, role in school_account_usernames(code=school.code):
        user, password = staff_create(
            school=school,
            staff_number=username,
            name=names[role] or str(role.label),
            role=role,
            by=by,
        )
        accounts.append((user.username, str(role.label), password))
    return accounts


@transaction.atomic
def staff_update(*, profile: Profile, name: str, phone: str, subjects: str, by: Any) -> Profile:
    profile.name, profile.phone, profile.subjects = name.strip(), phone.strip(), subjects.strip()
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def staff_reset_password(*, profile: Profile, by: Any) -> str:
    """Gives the account a new one-time password, ends its sessions on next request (the
    password hash changes) and asks for a new password at the next login."""
    password = one_time_password()
    profile.user.set_password(password)
    profile.user.save(update_fields=["password"])
    profile.must_change_password = True
    _history_note(profile, reason=PASSWORD_RESET_REASON, by=by)
    profile.save(update_fields=["must_change_password"])
    sessions_end_for(profile.user)
    return password


@transaction.atomic
def staff_set_active(*, profile: Profile, active: bool, by: Any) -> Profile:
    """Deactivates an account (a teacher who left) or reactivates it. A helper with open
    pairings must have them ended or handed over first, so no student is left unattended."""
    if not active and profile.user.pairings.filter(end__isnull=True).exists():
        raise ValidationError(_("该教师还有进行中的结对，请先结束或移交这些结对再停用账号"))
    profile.user.is_active = active
    profile.user.save(update_fields=["is_active"])
    # The user has no history of its own: the profile's names the change and who made it.
    _history_note(profile, reason=REACTIVATE_REASON if active else DEACTIVATE_REASON, by=by)
    profile.save()
    if not active:
        sessions_end_for(profile.user)
    return profile


def _history_note(profile: Profile, *, reason: str, by: Any) -> None:
    """Names the reason and the person in the history row the profile's next save writes."""
    profile._change_reason = reason  # type: ignore[attr-defined]
    if by is not None:
        profile._history_user = by  # type: ignore[attr-defined]
