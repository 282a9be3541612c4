"""The erasure page's form (why the student is erased, and their student number to confirm)
and the county administrator's forms: a new school, and the county's schools sheet."""

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.views import SpreadsheetUploadForm


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


class NormalizedCodeField(forms.CharField):
    """A code as typed on a Chinese keyboard: full-width letters and digits are the ASCII
    ones (NFKC), before the field's checks."""

    def to_python(self, value: Any) -> str:
        return unicodedata.normalize("NFKC", super().to_python(value) or "").strip()


class CountySchoolForm(forms.Form):
    """A new school of the county, with the columns of the schools sheet (学校名单)."""

    code = NormalizedCodeField(
        label=gettext_lazy("学校代码"),
        max_length=22,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9_-]+$",
                gettext_lazy("学校代码只能包含字母、数字、下划线或连字符"),
            )
        ],
        help_text=gettext_lazy(
            "字母、数字、下划线或连字符，最多 22 位，全县唯一；"
            "账号为 office-学校代码 和 principal-学校代码"
        ),
        error_messages={
            "required": gettext_lazy("请填写学校代码"),
            "max_length": gettext_lazy(
                "学校代码最多 22 位（账号 principal-学校代码 不能超过 32 位）"
            ),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    name = forms.CharField(
        label=gettext_lazy("学校名称"),
        max_length=100,
        error_messages={"required": gettext_lazy("请填写学校名称")},
    )
    town = forms.CharField(label=gettext_lazy("乡镇"), max_length=50, required=False)
    stage = forms.CharField(
        label=gettext_lazy("学段"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("如 初中、小学、九年一贯制"),
    )
    principal_name = forms.CharField(
        label=gettext_lazy("校长姓名"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("校长账号的姓名"),
    )
    office_name = forms.CharField(
        label=gettext_lazy("资助办负责人"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("资助办账号的姓名"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("name", "town", "stage", "principal_name", "office_name"):
            if isinstance(data.get(name), str):
                data[name] = data[name].replace("\u3000", " ").strip()
        return data


class CountySchoolsUploadForm(SpreadsheetUploadForm):
    """The county's schools sheet (学校名单), uploaded for a preview."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = gettext_lazy("学校名单文件")
        self.fields["file"].help_text = gettext_lazy(
            "Excel（.xlsx、.xls）、WPS 或 LibreOffice（.ods）表格或 CSV 文件，不超过 20 MB；"
            "表头上方的标题行可以保留"
        )
