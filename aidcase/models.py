"""The access log: who opened which student's record, export, PDF or download, and when.

Changes to records are kept by django-simple-history on the models themselves; this log is for
reading, which leaves no trace in the data. Rows are only ever added (aidcase.audit); no page,
form or admin edits or deletes them.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    class Action(models.TextChoices):
        STUDENT_VIEW = "student_view", _("查看学生档案")
        ID_REVEAL = "id_reveal", _("查看完整身份证号")
        # A roster export that carries whole ID numbers, for the office's round trip.
        ID_EXPORT = "id_export", _("导出完整身份证号")
        PHOTO_VIEW = "photo_view", _("查看家访照片")
        EXPORT = "export", _("导出表格")
        PDF = "pdf", _("下载考核表")
        DOWNLOAD = "download", _("下载文件")
        HISTORY_VIEW = "history_view", _("查看修改记录")
        UNLOCK = "unlock", _("解除登录锁定")

    at = models.DateTimeField(_("时间"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("用户"),
    )
    # Kept beside the key so that the entry still names the person after an account is gone.
    user_label = models.CharField(_("用户"), max_length=80)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    school = models.ForeignKey(
        "students.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("学校"),
    )
    student = models.ForeignKey(
        "students.Student",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("学生"),
    )
    what = models.CharField(_("内容"), max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        verbose_name = _("访问记录")
        verbose_name_plural = _("访问记录")
        indexes: ClassVar = [
            models.Index(fields=["school", "-at"]),
            models.Index(fields=["student", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_label} {self.get_action_display()} {self.what}"

    @property
    def student_erased(self) -> bool:
        """An entry about a student whose records have since been erased (governance.retention)."""
        return self.student_id is None and self.action in STUDENT_ACTIONS


# The access-log actions that are about one student.
STUDENT_ACTIONS = frozenset(
    {
        AccessLog.Action.STUDENT_VIEW,
        AccessLog.Action.ID_REVEAL,
        AccessLog.Action.PHOTO_VIEW,
        AccessLog.Action.HISTORY_VIEW,
    }
)


class FormSubmission(models.Model):
    """A submitted form, by the key its page was rendered with (aidcase.submissions).

    A second POST with the same key (a double tap, a retry on a weak network, an offline phone
    sending again) is answered with the first one's result instead of being run again. Only a
    hash is kept: no user, no path, no field of the form.
    """

    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    done = models.BooleanField(default=False)
    # Where the first submission sent the browser: a path of this site, never form data.
    location = models.CharField(max_length=2000, blank=True)
    via_htmx = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("表单提交")
        verbose_name_plural = _("表单提交")

    def __str__(self) -> str:
        return self.key[:12]
