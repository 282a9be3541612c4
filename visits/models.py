import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pairing.models import Pairing
from students.models import Category, School, Semester, Student
from visits.duties import PERIOD_LABELS, Period

MAX_AID_AMOUNT = Decimal("100000")
EDIT_WINDOW = dt.timedelta(days=7)

# What a log form may set; the pairing, the author and withdrawal are the services' own.
LOG_FIELDS = (
    "kind",
    "date",
    "channel",
    "duration_minutes",
    "content",
    "study_state",
    "life_state",
    "mood",
    "follow_up",
    "aid_items",
    "aid_amount",
    "visit_place",
    "visit_present",
    "family_situation",
    "poverty_cause",
    "aid_needs",
    "exam_name",
)


class Kind(models.TextChoices):
    """Kinds of aid activity, one per duty of the seed plans, and "other"."""

    TALK = "talk", _("谈心谈话")
    PARENT_CONTACT = "parent_contact", _("家长联系")
    HOME_VISIT = "home_visit", _("家访")
    TUTORING = "tutoring", _("学业辅导")
    EXAM_GUIDANCE = "exam_guidance", _("考试指导")
    MATERIAL_AID = "material_aid", _("物质资助")
    LETTER = "letter", _("指导写信")
    FESTIVAL = "festival", _("陪过节日")
    EXCHANGE = "exchange", _("与班主任、科任教师交流")
    PROGRESS_REVIEW = "progress_review", _("进步盘点")
    OTHER = "other", _("其他")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("当面")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")
    MESSAGE = "message", _("微信/短信")


class State(models.TextChoices):
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")


class ActivityLog(models.Model):
    """One piece of aid given under a pairing (帮扶记录)."""

    pairing = models.ForeignKey(
        Pairing, on_delete=models.PROTECT, related_name="logs", verbose_name=_("结对")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="activity_logs",
        verbose_name=_("记录人"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("日期"))
    channel = models.CharField(
        _("方式"), max_length=12, choices=Channel.choices, default=Channel.IN_PERSON
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("时长（分钟）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    content = models.TextField(_("内容"), max_length=4000)
    study_state = models.CharField(_("学习状态"), max_length=8, choices=State.choices, blank=True)
    life_state = models.CharField(_("生活状态"), max_length=8, choices=State.choices, blank=True)
    mood = models.CharField(_("情绪状态"), max_length=8, choices=State.choices, blank=True)
    follow_up = models.TextField(_("需跟进事项"), blank=True, max_length=2000)
    # Material aid
    aid_items = models.CharField(_("资助物品"), max_length=200, blank=True)
    aid_amount = models.DecimalField(
        _("资助金额（元）"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AID_AMOUNT)],
    )
    # Home visit: where, who was there, and the family picture (三清)
    visit_place = models.CharField(_("家访地点"), max_length=200, blank=True)
    visit_present = models.CharField(_("在场人员"), max_length=200, blank=True)
    family_situation = models.TextField(_("家庭情况"), blank=True, max_length=2000)
    poverty_cause = models.TextField(_("致贫原因"), blank=True, max_length=2000)
    aid_needs = models.TextField(_("帮扶需求"), blank=True, max_length=2000)
    # Exam guidance
    exam_name = models.CharField(_("考试名称"), max_length=100, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("撤回原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-date", "-created_at"]
        verbose_name = _("帮扶记录")
        verbose_name_plural = _("帮扶记录")
        indexes: ClassVar = [models.Index(fields=["pairing", "date"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(aid_amount__isnull=True) | Q(aid_amount__gte=0),
                name="aid_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawn_reason=""),
                name="withdrawn_log_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.date and self.date > timezone.localdate():
            errors["date"] = _("日期不能晚于今天")
        if self.date and self.pairing_id:
            pairing = self.pairing
            if self.date < pairing.start or (pairing.end and self.date > pairing.end):
                errors["date"] = _("日期不在结对期间（%(start)s 至 %(end)s）") % {
                    "start": pairing.start.isoformat(),
                    "end": pairing.end.isoformat() if pairing.end else _("今"),
                }
        if self.kind == Kind.MATERIAL_AID and not self.aid_items.strip():
            errors["aid_items"] = _("物质资助须填写资助物品")
        if self.kind == Kind.HOME_VISIT and not self.visit_place.strip():
            errors["visit_place"] = _("家访须填写地点")
        if self.kind == Kind.EXAM_GUIDANCE and not self.exam_name.strip():
            errors["exam_name"] = _("考试指导须填写考试名称")
        if errors:
            raise ValidationError(errors)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def editable_by_author_until(self) -> dt.datetime:
        return self.created_at + EDIT_WINDOW


def photo_path(instance: "VisitPhoto", filename: str) -> str:
    # A random name: the uploaded file name can carry a child's name.
    return f"photos/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


class VisitPhoto(models.Model):
    """A home-visit photo, re-encoded without EXIF, kept in private storage."""

    log = models.ForeignKey(
        ActivityLog, on_delete=models.CASCADE, related_name="photos", verbose_name=_("帮扶记录")
    )
    image = models.FileField(_("照片"), upload_to=photo_path, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["log", "pk"]
        verbose_name = _("家访照片")
        verbose_name_plural = _("家访照片")

    def __str__(self) -> str:
        return f"{self.log} #{self.pk}"


class IncidentType(models.TextChoices):
    TRUANCY = "truancy", _("逃学")
    SKIPPING = "skipping", _("逃课")
    QUITTING = "quitting", _("弃学")
    DROPPING_OUT = "dropping_out", _("辍学")
    LEAVING_SCHOOL = "leaving_school", _("私自离校")
    NIGHT_OUT = "night_out", _("夜不归宿")
    RUNNING_AWAY = "running_away", _("离家出走")
    GANG_FIGHT = "gang_fight", _("结伙打架")
    BULLYING = "bullying", _("欺诈弱小")
    SERIOUS_BREACH = "serious_breach", _("严重违纪")


# The assessment's reason codes (DESIGN "Semester assessment", a–c).
INCIDENT_REASONS = {
    IncidentType.TRUANCY: "truancy",
    IncidentType.SKIPPING: "truancy",
    IncidentType.QUITTING: "truancy",
    IncidentType.DROPPING_OUT: "truancy",
    IncidentType.LEAVING_SCHOOL: "left_school",
    IncidentType.NIGHT_OUT: "left_school",
    IncidentType.RUNNING_AWAY: "left_school",
    IncidentType.GANG_FIGHT: "violence",
    IncidentType.BULLYING: "violence",
    IncidentType.SERIOUS_BREACH: "violence",
}


class Incident(models.Model):
    """Something that makes a pairing's aid ineffective for the semester (DESIGN a–c)."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("学生")
    )
    date = models.DateField(_("日期"))
    type = models.CharField(_("类型"), max_length=20, choices=IncidentType.choices)
    note = models.TextField(_("说明"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="recorded_incidents",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-date", "-created_at"]
        verbose_name = _("违纪事件")
        verbose_name_plural = _("违纪事件")
        indexes: ClassVar = [models.Index(fields=["student", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.get_type_display()}"

    def clean(self) -> None:
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("日期不能晚于今天")})


class DutyRule(models.Model):
    """A school's own copy of a duty rule (the defaults are visits.duties.DEFAULT_RULES)."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="duty_rules", verbose_name=_("学校")
    )
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    kind = models.CharField(_("帮扶措施类型"), max_length=20, choices=Kind.choices)
    period = models.CharField(
        _("周期"), max_length=10, choices=[(p.value, label) for p, label in PERIOD_LABELS.items()]
    )
    count = models.PositiveSmallIntegerField(
        _("至少次数"), validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    title = models.CharField(_("要求"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "category", "position", "pk"]
        verbose_name = _("帮扶措施要求")
        verbose_name_plural = _("帮扶措施要求")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["school", "category", "kind", "period"], name="one_rule_per_kind_period"
            ),
            models.CheckConstraint(
                condition=Q(count__gte=1) & Q(count__lte=20), name="rule_count_range"
            ),
            models.CheckConstraint(
                condition=Q(period__in=[p.value for p in Period]), name="rule_period_known"
            ),
        ]

    def __str__(self) -> str:
        return str(self.title)


class HolidayWeek(models.Model):
    """A week (named by its Monday) in which weekly duties are not owed."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="holiday_weeks", verbose_name=_("学校")
    )
    monday = models.DateField(_("周一日期"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "monday"]
        verbose_name = _("不计周")
        verbose_name_plural = _("不计周")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["school", "monday"], name="one_holiday_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.monday} {self.note}"

    def clean(self) -> None:
        if self.monday and self.monday.weekday() != 0:
            raise ValidationError({"monday": _("请填写该周星期一的日期")})


class Exam(models.Model):
    """An exam on the school's calendar; exam-guidance duties fall due around it."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="exams", verbose_name=_("学校")
    )
    semester = models.ForeignKey(
        Semester, on_delete=models.CASCADE, related_name="exams", verbose_name=_("学期")
    )
    name = models.CharField(_("考试名称"), max_length=100)
    date = models.DateField(_("考试日期"))

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "date"]
        verbose_name = _("考试")
        verbose_name_plural = _("考试")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["school", "date"], name="one_exam_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    def clean(self) -> None:
        if self.semester_id and self.date and not self.semester.contains(self.date):
            raise ValidationError({"date": _("考试日期不在该学期的教学日期内")})


class Reminder(models.Model):
    """A notice of duties sent to one user for one period (提醒): a teacher's daily digest
    of due and overdue duties, or a principal's weekly summary of the school. Kept in-app
    whether or not it was also e-mailed; the body is plain Chinese text with names and duties,
    never an ID number."""

    class Kind(models.TextChoices):
        TEACHER_DIGEST = "teacher_digest", _("每日帮扶提醒")
        PRINCIPAL_WEEKLY = "principal_weekly", _("每周帮扶汇总")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("收件人"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    # The day of a daily digest, the Monday of a weekly summary: with the user and the kind,
    # the key that keeps a second run on the same day (or week) from sending it again.
    period = models.DateField(_("周期"))
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    overdue = models.PositiveIntegerField(_("逾期项数"), default=0)
    due = models.PositiveIntegerField(_("待完成项数"), default=0)
    # Which run of send_reminders inserted the row: bulk_create(ignore_conflicts=True) does
    # not say which rows it inserted, and only those may be e-mailed, even when runs race.
    run = models.UUIDField(editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "kind", "period"], name="one_reminder_per_period"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["teacher_digest", "principal_weekly"]),
                name="reminder_kind_known",
            ),
            # A teacher with nothing due or overdue gets no digest.
            models.CheckConstraint(
                condition=~Q(kind="teacher_digest") | Q(overdue__gt=0) | Q(due__gt=0),
                name="teacher_digest_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return str(self.subject)

    def clean(self) -> None:
        if self.kind == self.Kind.PRINCIPAL_WEEKLY and self.period and self.period.weekday():
            raise ValidationError({"period": _("请填写该周星期一的日期")})

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DutyStamp(models.Model):
    """A pairing's duty periods in one semester as `visits.duty_store` keeps them, with what
    they were counted from: a digest of the semester's calendar and the school's rules
    (`context`; emptied when a log of the pairing changes) and the pairing's category and
    dates. A stamp whose inputs no longer match is stale and is counted again before it is
    read."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="+")
    semester = models.ForeignKey(Semester, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    context = models.CharField(max_length=64)
    category = models.CharField(max_length=16)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    # The semester's teaching dates as the duties count them, the end as the day after it:
    # every period has come due by then.
    term_start = models.DateField()
    after = models.DateField()
    computed_at = models.DateTimeField()
    # By `as_of`: the periods met and those ended unmet (no later than `after`), and the logs
    # dated in the semester, so that the county page and the dashboard add up stamps, not
    # periods or logs; moved to another day in SQL.
    as_of = models.DateField()
    met = models.PositiveIntegerField()
    missed = models.PositiveIntegerField()
    logs = models.PositiveIntegerField()

    class Meta:
        # By the columns, not the related rows: no join to order by.
        ordering: ClassVar = ["pairing_id", "semester_id"]
        verbose_name = _("帮扶措施完成情况")
        verbose_name_plural = _("帮扶措施完成情况")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["pairing", "semester"], name="one_stamp_per_semester"),
        ]
        indexes: ClassVar = [models.Index(fields=["semester", "context"])]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.semester_id}"


class DutyPeriod(models.Model):
    """One period a pairing owes under a rule (`duties.counted_periods`), with the days an
    activity of the rule's kind was logged in it."""

    stamp = models.ForeignKey(DutyStamp, on_delete=models.CASCADE, related_name="periods")
    rule_key = models.CharField(max_length=40)
    start = models.DateField()
    end = models.DateField()
    required = models.PositiveSmallIntegerField()
    done = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar = ["stamp_id", "rule_key", "start"]
        verbose_name = _("帮扶措施周期")
        verbose_name_plural = _("帮扶措施周期")
        indexes: ClassVar = [models.Index(fields=["stamp", "rule_key", "end"])]

    def __str__(self) -> str:
        return f"{self.rule_key} {self.start}–{self.end}"
