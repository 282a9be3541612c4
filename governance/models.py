"""What stays of a student's erasure (governance.retention): who, when, why and how many
records went, under a reference to give the requester."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The kinds of record an erasure counts, in the order pages list them.
ERASED_KINDS = {
    "identifications": _("类别认定"),
    "pairings": _("结对"),
    "logs": _("帮扶记录"),
    "photos": _("家访照片"),
    "incidents": _("违纪记录"),
    "scores": _("成绩"),
    "questionnaires": _("问卷"),
    "history": _("修改记录"),
    "sheets": _("考核表中的条目"),
}


class Erasure(models.Model):
    """A student's records deleted on a justified request (a guardian's, a court's…). What
    stays is who deleted, when, why and how many records went, under a reference to give the
    requester: never who the student was."""

    at = models.DateTimeField(_("时间"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    user_label = models.CharField(_("操作人"), max_length=80)
    school = models.ForeignKey(
        "students.School",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("学校"),
    )
    reference = models.CharField(_("删除编号"), max_length=20, unique=True)
    reason = models.TextField(_("删除依据"))
    counts = models.JSONField(_("删除的记录"), default=dict)

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        verbose_name = _("删除记录")
        verbose_name_plural = _("删除记录")
        indexes: ClassVar = [models.Index(fields=["school", "-at"])]
        # Made by aidcase's migrations before the model moved here; the rows stay where they are.
        db_table = "aidcase_erasure"

    def __str__(self) -> str:
        return self.reference

    @property
    def summary(self) -> list[tuple[str, int]]:
        """The kinds of record deleted, with how many of each (none left out as zero)."""
        return [
            (str(label), self.counts[kind])
            for kind, label in ERASED_KINDS.items()
            if self.counts.get(kind)
        ]
