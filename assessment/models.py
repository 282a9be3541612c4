from decimal import Decimal
from typing import ClassVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pairing.models import Pairing
from students.models import Category, School, Semester, Student

MIN_SCORE = Decimal("0")
MAX_SCORE = Decimal("1000")
TOTAL = ""  # the subject of a total score (总分)


class Score(models.Model):
    """A student's score in one semester: the total (subject "") or one subject's. The
    progress ratio of the assessment compares it with the cohort's average."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="scores", verbose_name=_("学生")
    )
    semester = models.ForeignKey(
        Semester, on_delete=models.PROTECT, related_name="scores", verbose_name=_("学期")
    )
    subject = models.CharField(_("科目"), max_length=20, blank=True, help_text=_("留空表示总分"))
    score = models.DecimalField(
        _("成绩"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(MIN_SCORE), MaxValueValidator(MAX_SCORE)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-semester__start", "student__student_no", "subject"]
        verbose_name = _("成绩")
        verbose_name_plural = _("成绩")
        # Cohort averages read a semester's scores of one subject.
        indexes: ClassVar = [models.Index(fields=["semester", "subject"])]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["student", "semester", "subject"], name="one_score_per_subject_term"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=MIN_SCORE) & Q(score__lte=MAX_SCORE), name="score_range"
            ),
            # The total is stored as "", never under its Chinese name.
            models.CheckConstraint(condition=~Q(subject="总分"), name="score_total_is_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.semester.code} {self.subject or _('总分')} {self.score}"

    def clean(self) -> None:
        if (
            self.student_id
            and self.semester_id
            and self.student.school_id != self.semester.school_id
        ):
            raise ValidationError({"semester": _("学期不属于该学生所在学校")})


class AssessmentRule(models.Model):
    """A school's points and progress threshold for one category; a category without a row
    uses DESIGN's defaults (assessment.scoring.DEFAULT_RULES)."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="assessment_rules", verbose_name=_("学校")
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    points = models.PositiveSmallIntegerField(
        _("有效帮扶得分"), validators=[MaxValueValidator(100)]
    )
    threshold = models.DecimalField(
        _("进步比例下限"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("3.00"))],
        help_text=_("进步比例低于此值即为帮扶无效，如 1.05"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "category"]
        verbose_name = _("考核规则")
        verbose_name_plural = _("考核规则")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["school", "category"], name="one_rule_per_category"),
            models.CheckConstraint(
                condition=Q(threshold__gte=Decimal("0.50")) & Q(threshold__lte=Decimal("3.00")),
                name="assessment_threshold_range",
            ),
            models.CheckConstraint(condition=Q(points__lte=100), name="assessment_points_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.points} / {self.threshold}"


class Sheet(models.Model):
    """A teacher's semester assessment sheet (教师结对帮扶学期考核表). `content` holds what the
    sheet shows, computed from the records while it is a draft; once approved it is a
    snapshot that later edits to logs, scores or incidents do not change."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已审批")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="sheets", verbose_name=_("学校")
    )
    semester = models.ForeignKey(
        Semester, on_delete=models.PROTECT, related_name="sheets", verbose_name=_("学期")
    )
    teacher = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="sheets", verbose_name=_("教师")
    )
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT)
    points = models.PositiveIntegerField(_("得分"), default=0)
    effective = models.PositiveIntegerField(_("有效"), default=0)
    ineffective = models.PositiveIntegerField(_("无效"), default=0)
    incomplete = models.PositiveIntegerField(_("待补数据"), default=0)
    content = models.JSONField(_("考核内容"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"))
    office_comment = models.TextField(_("帮扶办审核意见"), blank=True)
    principal_comment = models.TextField(_("校长审批意见"), blank=True)
    submitted_by = models.ForeignKey(
        User,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        User,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-semester__start", "teacher__username"]
        verbose_name = _("考核表")
        verbose_name_plural = _("考核表")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["semester", "teacher"], name="one_sheet_per_term"),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | (Q(approved_at__isnull=False) & Q(approved_by__isnull=False)),
                name="approved_sheet_has_approver",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(submitted_at__isnull=False),
                name="submitted_sheet_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.semester.code} {self.teacher.username}"

    @property
    def frozen(self) -> bool:
        return self.state == self.State.APPROVED


class SheetEvent(models.Model):
    """The sheet's workflow trail: who computed, submitted, returned, approved or reopened it,
    when, and with which comment or reason. Never edited."""

    class Action(models.TextChoices):
        COMPUTED = "computed", _("生成/更新")
        SUBMITTED = "submitted", _("提交审批")
        RETURNED = "returned", _("退回修改")
        APPROVED = "approved", _("审批通过")
        REOPENED = "reopened", _("重新打开")

    sheet = models.ForeignKey(
        Sheet, on_delete=models.CASCADE, related_name="events", verbose_name=_("考核表")
    )
    action = models.CharField(_("操作"), max_length=12, choices=Action.choices)
    # Empty when a command (export_sheets) did it.
    by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering: ClassVar = ["sheet", "at", "pk"]
        verbose_name = _("考核记录")
        verbose_name_plural = _("考核记录")

    def __str__(self) -> str:
        return f"{self.sheet} {self.action}"


# The questionnaire (问卷调查反馈评价): five statements rated 1 (disagree) to 5 (agree).
QUESTIONS = (
    _("老师经常和我（孩子）谈心、联系"),
    _("老师关心我（孩子）的学习，给予了辅导和帮助"),
    _("老师关心我（孩子）的生活和心理"),
    _("结对帮扶以来，我（孩子）有了进步"),
    _("对老师的结对帮扶工作总体满意"),
)
RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class Questionnaire(models.Model):
    """One pairing's questionnaire for one semester, answered once by the student or a
    parent through a one-time link (only the token's hash is stored) or typed in by the aid
    office from the paper slip."""

    class Respondent(models.TextChoices):
        STUDENT = "student", _("学生")
        PARENT = "parent", _("家长")

    class Source(models.TextChoices):
        LINK = "link", _("扫码填写")
        PAPER = "paper", _("纸质录入")

    pairing = models.ForeignKey(
        Pairing, on_delete=models.PROTECT, related_name="questionnaires", verbose_name=_("结对")
    )
    semester = models.ForeignKey(
        Semester, on_delete=models.PROTECT, related_name="questionnaires", verbose_name=_("学期")
    )
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    issued_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    answered_at = models.DateTimeField(_("填写时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, blank=True)
    respondent = models.CharField(_("填写人"), max_length=8, choices=Respondent.choices, blank=True)
    q1 = models.PositiveSmallIntegerField(
        QUESTIONS[0], null=True, blank=True, choices=RATING_CHOICES
    )
    q2 = models.PositiveSmallIntegerField(
        QUESTIONS[1], null=True, blank=True, choices=RATING_CHOICES
    )
    q3 = models.PositiveSmallIntegerField(
        QUESTIONS[2], null=True, blank=True, choices=RATING_CHOICES
    )
    q4 = models.PositiveSmallIntegerField(
        QUESTIONS[3], null=True, blank=True, choices=RATING_CHOICES
    )
    q5 = models.PositiveSmallIntegerField(
        QUESTIONS[4], null=True, blank=True, choices=RATING_CHOICES
    )
    comment = models.TextField(_("意见和建议"), blank=True, max_length=500)
    entered_by = models.ForeignKey(
        User,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["semester", "pairing"]
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["pairing", "semester"], name="one_questionnaire"),
            # An answered questionnaire has every rating, and its link is spent.
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True)
                | (
                    Q(q1__range=(1, 5))
                    & Q(q2__range=(1, 5))
                    & Q(q3__range=(1, 5))
                    & Q(q4__range=(1, 5))
                    & Q(q5__range=(1, 5))
                    & Q(token_hash__isnull=True)
                    & ~Q(source="")
                    & ~Q(respondent="")
                ),
                name="answered_questionnaire_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.semester.code} {self.pairing_id}"

    @property
    def ratings(self) -> list[int | None]:
        return [self.q1, self.q2, self.q3, self.q4, self.q5]


class SheetExport(models.Model):
    """A ZIP of every teacher's PDF sheet for a semester, built in the background by a task
    worker; the page polls its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    semester = models.ForeignKey(Semester, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # A name in the private file storage (storages["default"]), never served directly.
    file = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("考核表批量导出")
        verbose_name_plural = _("考核表批量导出")

    def __str__(self) -> str:
        return f"{self.semester.code} {self.state}"

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0


# How the sheet words a pairing's status and the reasons of the `assess` JSON.
STATUS_LABELS = {
    "effective": _("有效"),
    "ineffective": _("无效"),
    "incomplete": _("待补数据"),
}
REASON_LABELS = {
    "truancy": _("逃学、逃课、弃学、辍学"),
    "left_school": _("私自离校、夜不归宿、离家出走"),
    "violence": _("结伙打架、欺诈弱小、严重违纪"),
    "low_progress": _("进步比例低于标准"),
    "missing_score": _("成绩缺失，无法计算进步比例"),
}
