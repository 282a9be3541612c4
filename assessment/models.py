from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from students.models import Semester, Student

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
