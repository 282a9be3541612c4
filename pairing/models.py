from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from aidcase.labels import named
from students.models import Category, Identification, School, Semester, Student


class Pairing(models.Model):
    """One teacher helping one student in one category (结对), with its plan (一生一策)."""

    class EndReason(models.TextChoices):
        GRADUATED = "graduated", _("毕业")
        TRANSFERRED = "transferred", _("转学")
        LEFT_CATEGORY = "left_category", _("不再属于该类别")
        TEACHER_CHANGE = "teacher_change", _("更换帮扶教师")
        OTHER = "other", _("其他")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("学校")
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("帮扶教师"),
    )
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("学生")
    )
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    subject = models.CharField(
        _("学困科目"), max_length=20, blank=True, help_text=_("仅学习困难学生可填写")
    )
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(
        _("结束原因"), max_length=20, choices=EndReason.choices, blank=True
    )
    goals = models.TextField(_("帮扶目标"), blank=True)
    measures = models.TextField(_("帮扶措施"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("安排人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["school", "-start", "pk"]
        verbose_name = _("结对")
        verbose_name_plural = _("结对")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["teacher", "student", "category"],
                condition=Q(end__isnull=True),
                name="one_open_pairing",
                violation_error_message=_("该教师与该学生在此类别下已有进行中的结对"),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="pairing_end_not_before_start",
                violation_error_message=_("结束日期不能早于开始日期"),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | ~Q(end_reason=""),
                name="ended_pairing_has_reason",
                violation_error_message=_("结束结对须填写结束原因"),
            ),
            models.CheckConstraint(
                condition=Q(category="struggling") | Q(subject=""),
                name="subject_only_for_struggling",
                violation_error_message=_("只有学习困难学生的结对可以填写学科"),
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["teacher", "end"])]

    def __str__(self) -> str:
        return f"{self.teacher} → {named(self.student.name, self.get_category_display())}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.end and self.start and self.end < self.start:
            errors["end"] = _("结束日期不能早于开始日期")
        if self.subject and self.category != Category.STRUGGLING:
            errors["subject"] = _("只有学习困难学生的结对可以填写学科")
        if self.student_id and self.school_id and self.student.school_id != self.school_id:
            errors["student"] = _("学生不属于本校")
        elif self._state.adding and self.student_id and self.student.has_left:
            errors["student"] = _("该学生已%(status)s，不能新建结对") % {
                "status": self.student.get_status_display()
            }
        if self.teacher_id and self.school_id:
            profile = getattr(self.teacher, "profile", None)
            if profile is None or profile.school_id != self.school_id:
                errors["teacher"] = _("帮扶教师必须是本校教职工")
        # The identification rule holds when the pairing is made; a later re-check of the
        # student's categories must not stop a pairing from being ended.
        if (
            self._state.adding
            and self.student_id
            and self.category
            and self.start
            and "student" not in errors
            and not category_identified(student=self.student, category=self.category, on=self.start)
        ):
            errors["category"] = _(
                "该学生在开始日期所在学期未被认定为“%(category)s”，请先完成类别认定"
            ) % {"category": Category(self.category).label}
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.end is None


def category_identified(*, student: Student, category: str, on) -> bool:
    """Whether the student holds an approved identification in the category for the semester
    a day belongs to: the latest semester of the school that has started by that day (the
    summer holiday belongs to the term before it)."""
    semester = (
        Semester.objects.filter(school_id=student.school_id, start__lte=on)
        .order_by("-start")
        .first()
    )
    if semester is None:
        return False
    return Identification.objects.filter(
        student=student,
        semester=semester,
        category=category,
        state=Identification.State.APPROVED,
    ).exists()
