import datetime as dt
import re
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import DateField, F, Q, Value
from django.db.models.functions import Cast, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from aidcase.labels import named
from aidcase.roles import COUNTY_ROLES, Role
from students import idcard
from students.fields import EncryptedIdNumberField

SEMESTER_CODE_RE = re.compile(r"^(\d{4})-(\d{4})-([12])$")


class Category(models.TextChoices):
    """The four kinds of aided students (帮扶对象类别)."""

    LEFT_BEHIND = "left_behind", _("留守学生")
    POOR = "poor", _("家庭经济困难学生")
    STRUGGLING = "struggling", _("学习困难学生")
    PROBLEM = "problem", _("问题学生")


# The short names schools use in tables and spreadsheets (留守 / 贫困 / 学困 / 问题).
CATEGORY_SHORT_LABELS = {
    Category.LEFT_BEHIND: _("留守"),
    Category.POOR: _("贫困"),
    Category.STRUGGLING: _("学困"),
    Category.PROBLEM: _("问题"),
}


class County(models.Model):
    name = models.CharField(_("县（区）"), max_length=60, unique=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("县（区）")
        verbose_name_plural = _("县（区）")

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    code = models.CharField(
        _("学校代码"),
        max_length=32,
        unique=True,
        help_text=_("字母、数字、下划线或连字符"),
        validators=[
            RegexValidator(r"^[A-Za-z0-9_-]+$", _("学校代码只能包含字母、数字、下划线或连字符"))
        ],
    )
    name = models.CharField(_("学校名称"), max_length=100)
    # As the county's list of schools names them (the `schools` import); shown, never computed on.
    town = models.CharField(_("乡镇"), max_length=50, blank=True)
    stage = models.CharField(_("学段"), max_length=30, blank=True)
    county = models.ForeignKey(
        County,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schools",
        verbose_name=_("县（区）"),
    )
    # One seed plan has each of 7 teachers linked to 7 students: beyond the cap a teacher's
    # aid thins out, and the dashboard warns.
    pairing_cap = models.PositiveSmallIntegerField(
        _("每位教师结对上限"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("超过上限的教师会在概况页标出"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["code"]
        verbose_name = _("学校")
        verbose_name_plural = _("学校")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Za-z0-9_-]+$"),
                name="school_code_charset",
                violation_error_message=_("学校代码只能包含字母、数字、下划线或连字符"),
            )
        ]

    def __str__(self) -> str:
        return self.name


def semester_default_dates(code: str) -> tuple[dt.date, dt.date]:
    """Default teaching dates: term 1 runs 1 Sep – 31 Jan, term 2 runs 1 Feb – 31 Jul."""
    match = SEMESTER_CODE_RE.match(code)
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValueError(code)
    first, second, term = int(match[1]), int(match[2]), match[3]
    if term == "1":
        return dt.date(first, 9, 1), dt.date(second, 1, 31)
    return dt.date(second, 2, 1), dt.date(second, 7, 31)


def school_year_dates(code: str) -> tuple[dt.date, dt.date]:
    """The school year a semester code names: 1 Aug of its first year to 31 Aug of its
    second. Both terms' teaching dates lie inside it."""
    semester_default_dates(code)  # refuses what is not a semester code
    first = int(code[:4])
    return dt.date(first, 8, 1), dt.date(first + 1, 8, 31)


def _school_year_around(day: dt.date) -> tuple[dt.date, dt.date]:
    """The school year a day falls in (August counts as the start of one), kept inside the
    years a date can hold."""
    year = day.year if day.month >= 8 else day.year - 1
    year = min(max(year, dt.MINYEAR), dt.MAXYEAR - 1)
    return dt.date(year, 8, 1), dt.date(year + 1, 8, 31)


def other_term_code(code: str) -> str:
    """The code of the other term of the same school year (2025-2026-1 ↔ 2025-2026-2)."""
    return code[:-1] + ("2" if code.endswith("1") else "1")


def validate_semester_code(code: str) -> None:
    try:
        semester_default_dates(code)
    except ValueError:
        raise ValidationError(
            _("学期代码应形如 2025-2026-1（学年，第1或第2学期），且两个年份相连"),
            code="invalid",
        ) from None


class Semester(models.Model):
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="semesters", verbose_name=_("学校")
    )
    code = models.CharField(_("学期代码"), max_length=11, validators=[validate_semester_code])
    start = models.DateField(_("开学日期"))
    end = models.DateField(_("结束日期"))

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "-start"]
        verbose_name = _("学期")
        verbose_name_plural = _("学期")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["school", "code"], name="semester_code_per_school"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="semester_end_after_start"
            ),
            # The school year of the code (see `school_year_dates`): from 1 Aug of the code's
            # first year to 31 Aug of its second.
            models.CheckConstraint(
                condition=Q(
                    start__gte=Cast(Concat(Substr("code", 1, 4), Value("-08-01")), DateField()),
                    end__lte=Cast(Concat(Substr("code", 6, 4), Value("-08-31")), DateField()),
                ),
                name="semester_in_school_year",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        match = SEMESTER_CODE_RE.match(self.code)
        if not match:
            return self.code
        if match[3] == "1":
            return _("%(first)s—%(second)s学年第一学期") % {"first": match[1], "second": match[2]}
        return _("%(first)s—%(second)s学年第二学期") % {"first": match[1], "second": match[2]}

    def clean(self) -> None:
        """The teaching dates lie inside the school year of the code, the start before the
        end, and term 1 ends before term 2 of the same school year starts."""
        errors: dict[str, Any] = {}
        try:
            year: tuple[dt.date, dt.date] | None = school_year_dates(self.code)
        except ValueError:
            year = None  # the code's own validator says what is wrong with it
        if year is not None:
            first, last = year
            outside = _("学期 %(code)s 的日期应在 %(first)s 至 %(last)s 之间") % {
                "code": self.code,
                "first": first.isoformat(),
                "last": last.isoformat(),
            }
            for name in ("start", "end"):
                day = getattr(self, name)
                if day is not None and not first <= day <= last:
                    errors[name] = outside
        if self.start and self.end and self.end <= self.start and "end" not in errors:
            errors["end"] = _("结束日期必须晚于开学日期")
        if year is not None and self.start and self.end and not errors and self.school_id:
            errors.update(self._clash_with_other_term())
        if errors:
            raise ValidationError(errors)

    def _clash_with_other_term(self) -> dict[str, Any]:
        other = (
            Semester.objects.filter(school_id=self.school_id, code=other_term_code(self.code))
            .exclude(pk=self.pk)
            .first()
        )
        if other is None:
            return {}
        if self.code.endswith("1") and self.end >= other.start:
            return {
                "end": _("第一学期应在第二学期（%(code)s）开学日期 %(day)s 之前结束")
                % {"code": other.code, "day": other.start.isoformat()}
            }
        if self.code.endswith("2") and self.start <= other.end:
            return {
                "start": _("第二学期应在第一学期（%(code)s）结束日期 %(day)s 之后开学")
                % {"code": other.code, "day": other.end.isoformat()}
            }
        return {}

    @property
    def teaching_dates(self) -> tuple[dt.date, dt.date]:
        """The start and end as the duties, dashboards and reminders count them: the stored
        dates, held inside the school year of the code. `clean` and the constraints keep
        them there; a row written before the rule or by hand (9999-12-31, say) must not
        stretch a school's weeks over centuries or past the dates Python can hold."""
        try:
            first, last = school_year_dates(self.code)
        except ValueError:
            first, last = _school_year_around(self.start)
        start = min(max(self.start, first), last)
        return start, min(max(self.end, start), last)

    def contains(self, day: dt.date) -> bool:
        start, end = self.teaching_dates
        return start <= day <= end


class Cohort(models.Model):
    """A grade cohort (级), named by the year its students entered the school."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="cohorts", verbose_name=_("学校")
    )
    entry_year = models.PositiveSmallIntegerField(_("入学年份"))

    class Meta:
        ordering: ClassVar = ["school", "-entry_year"]
        verbose_name = _("年级（级）")
        verbose_name_plural = _("年级（级）")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["school", "entry_year"], name="cohort_year_per_school"),
            models.CheckConstraint(
                condition=Q(entry_year__gte=1990, entry_year__lte=2100), name="cohort_year_range"
            ),
        ]

    def __str__(self) -> str:
        return _("%(year)s级") % {"year": self.entry_year}


class SchoolClass(models.Model):
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="classes", verbose_name=_("学校")
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="classes", verbose_name=_("年级（级）")
    )
    name = models.CharField(_("班级名称"), max_length=40)
    homeroom_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homeroom_classes",
        verbose_name=_("班主任"),
    )

    class Meta:
        ordering: ClassVar = ["school", "-cohort__entry_year", "name"]
        verbose_name = _("班级")
        verbose_name_plural = _("班级")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["cohort", "name"], name="class_name_per_cohort"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.cohort_id and self.school_id and self.cohort.school_id != self.school_id:
            errors["cohort"] = _("年级不属于本校")
        if self.homeroom_teacher_id and self.school_id:
            profile = getattr(self.homeroom_teacher, "profile", None)
            if profile is None or profile.school_id != self.school_id:
                errors["homeroom_teacher"] = _("班主任必须是本校教师")
        if errors:
            raise ValidationError(errors)


class Profile(models.Model):
    """Who a user is in AidCase: their role and the school (or county) they belong to.

    A teacher's username is their 工号, unique across the deployment because usernames are.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.TEACHER)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("学校"),
    )
    county = models.ForeignKey(
        County,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="viewers",
        verbose_name=_("县（区）"),
    )
    name = models.CharField(_("姓名"), max_length=40)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    subjects = models.CharField(_("任教学科"), max_length=100, blank=True)
    must_change_password = models.BooleanField(_("须修改密码"), default=False)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "name"]
        verbose_name = _("用户资料")
        verbose_name_plural = _("用户资料")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=COUNTY_ROLES, county__isnull=False, school__isnull=True)
                    | (~Q(role__in=COUNTY_ROLES) & Q(school__isnull=False))
                ),
                name="profile_scope_matches_role",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.role in COUNTY_ROLES:
            if self.county_id is None:
                raise ValidationError({"county": _("县教育局用户必须指定县（区）")})
            if self.school_id is not None:
                raise ValidationError({"school": _("县教育局用户不属于某一所学校")})
        elif self.school_id is None:
            raise ValidationError({"school": _("学校用户必须指定学校")})


class Student(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("在读")
        TRANSFERRED = "transferred", _("转出")
        GRADUATED = "graduated", _("毕业")
        SUSPENDED = "suspended", _("休学")
        DROPPED_OUT = "dropped_out", _("辍学")

    # The students who have left the school for good: their records are archived a set time
    # after they leave (governance.retention) and may then be erased on a justified request.
    LEFT = (Status.GRADUATED, Status.TRANSFERRED)

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="students", verbose_name=_("学校")
    )
    student_no = models.CharField(_("学籍号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=40)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    # Encrypted at rest; found by exact search through id_number_hash (students.fields), which
    # is declared first so that assigning the number sets the hash after the hash's default.
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedIdNumberField(_("身份证号"), blank=True, hash_field="id_number_hash")
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="students", verbose_name=_("年级（级）")
    )
    school_class = models.ForeignKey(
        SchoolClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="students",
        verbose_name=_("班级"),
    )
    guardian_name = models.CharField(_("监护人"), max_length=40, blank=True)
    guardian_relation = models.CharField(_("监护人关系"), max_length=20, blank=True)
    guardian_phone = models.CharField(_("监护人电话"), max_length=20, blank=True)
    address = models.CharField(_("家庭住址"), max_length=200, blank=True)
    parents_workplace = models.CharField(_("父母务工地"), max_length=100, blank=True)
    boarding = models.BooleanField(_("是否寄宿"), default=False)
    status = models.CharField(
        _("学籍状态"), max_length=16, choices=Status.choices, default=Status.ENROLLED
    )
    left_on = models.DateField(
        _("离校日期"),
        null=True,
        blank=True,
        help_text=_("毕业、转出或辍学的日期；不填时按保存当天计"),
    )
    # Set by the daily retention run once a graduated or transferred student has been gone
    # for the configured time: hidden from lists and from teachers, kept for the ledgers.
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "-cohort__entry_year", "school_class__name", "student_no"]
        verbose_name = _("学生")
        verbose_name_plural = _("学生")
        indexes: ClassVar = [models.Index(fields=["school", "name"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(status__in=["enrolled", "suspended"]) & Q(left_on__isnull=True))
                | (
                    Q(status__in=["graduated", "transferred", "dropped_out"])
                    & Q(left_on__isnull=False)
                ),
                name="left_on_when_left",
                violation_error_message=_(
                    "毕业、转出或辍学的学生须有离校日期，在读或休学的学生没有离校日期"
                ),
            ),
            models.CheckConstraint(
                condition=Q(archived_at__isnull=True)
                | (Q(status__in=["graduated", "transferred"]) & Q(left_on__isnull=False)),
                name="archived_student_has_left",
                violation_error_message=_("只有已毕业或转出的学生可以归档"),
            ),
        ]

    def __str__(self) -> str:
        return named(self.name, self.student_no)

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.id_number:
            self.id_number = idcard.normalize(self.id_number)
            problems = idcard.problems(self.id_number, birth=self.birth_date)
            if problems:
                errors["id_number"] = problems
        if self.cohort_id and self.school_id and self.cohort.school_id != self.school_id:
            errors["cohort"] = [_("年级不属于本校")]
        school_class = self.school_class if self.school_class_id else None
        if school_class is not None and self.cohort_id and school_class.cohort_id != self.cohort_id:
            errors["school_class"] = [_("班级不属于该年级")]
        if self.left_on and self.status in (self.Status.ENROLLED, self.Status.SUSPENDED):
            errors["left_on"] = [_("在读或休学的学生没有离校日期")]
        elif self.left_on and self.birth_date and self.left_on < self.birth_date:
            errors["left_on"] = [_("离校日期不能早于出生日期")]
        if errors:
            raise ValidationError(errors)

    @property
    def masked_id_number(self) -> str:
        return idcard.mask(self.id_number) if self.id_number else ""

    @property
    def has_left(self) -> bool:
        """Graduated or transferred: gone for good, so archived in time and erasable."""
        return self.status in self.LEFT

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def leaving_day(status: str, given: dt.date | None) -> dt.date | None:
    """The day a student left, as their status says: none for one at school (在读, 休学),
    even when a day is still given; for one who left, the given day, else today."""
    if status in (Student.Status.ENROLLED, Student.Status.SUSPENDED):
        return None
    return given or timezone.localdate()


class Identification(models.Model):
    """A student identified in one category for one semester (认定，动态管理)."""

    class Source(models.TextChoices):
        REGISTERED_POOR = "registered_poor", _("建档立卡")
        SUBSISTENCE = "subsistence", _("民政低保")
        SCHOOL = "school", _("学校认定")
        OTHER = "other", _("其他")
        # Filled in by a pairings import for the semesters an older pairing covers
        # (DESIGN "Pairing"): the school paired the student before it used AidCase.
        PAIRING_LIST = "pairing_list", _("结对名单补录")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("待审核")
        APPROVED = "approved", _("已认定")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="identifications", verbose_name=_("学生")
    )
    semester = models.ForeignKey(
        Semester, on_delete=models.PROTECT, related_name="identifications", verbose_name=_("学期")
    )
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    source = models.CharField(
        _("认定来源"), max_length=20, choices=Source.choices, default=Source.SCHOOL
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    note = models.TextField(_("说明"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提出人"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-semester__start", "student__student_no", "category"]
        verbose_name = _("类别认定")
        verbose_name_plural = _("类别认定")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["student", "semester", "category"], name="one_identification_per_term"
            ),
            models.CheckConstraint(
                condition=Q(state="proposed") | Q(approved_at__isnull=False),
                name="approved_identification_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student.name} · {self.get_category_display()} · {self.semester.code}"

    def clean(self) -> None:
        if (
            self.student_id
            and self.semester_id
            and self.student.school_id != self.semester.school_id
        ):
            raise ValidationError({"semester": _("学期不属于该学生所在学校")})
