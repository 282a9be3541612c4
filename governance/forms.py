"""The erasure page's form: why the student is erased, and their student number to confirm."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("删除依据"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "谁、在哪天、以什么方式提出申请（如：监护人 2026-11-20 书面申请，附件存档号 12）。"
            "这段话会一直保留在审计中，不要写学生的姓名、学籍号或身份证号。"
        ),
    )
    student_no = forms.CharField(
        label=gettext_lazy("输入该生的学籍号以确认"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: object, expected_no: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.expected_no = expected_no

    def clean_student_no(self) -> str:
        value = self.cleaned_data["student_no"].strip()
        if value != self.expected_no:
            raise ValidationError(_("学籍号不一致：请输入本页学生的学籍号"))
        return value
