"""Erasing a student who has left, on a justified request (aidcase.retention): the aid
office's confirmation page, which shows what will go before anything does."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase import retention
from aidcase.forms import add_service_errors
from aidcase.models import ERASED_KINDS
from aidcase.permissions import AuthedRequest, role_required
from students.models import Role
from students.selectors import student_get_for_user


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


@role_required(Role.OFFICE)
def student_erase(request: AuthedRequest, pk: int) -> HttpResponse:
    student = student_get_for_user(user=request.user, pk=pk)
    refusal = retention.erasure_refusal(student=student)
    form = ErasureForm(request.POST or None, expected_no=student.student_no)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            erasure = retention.student_erase(
                student=student, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("该生的资料已全部删除，删除编号 %(reference)s，可在“审计 → 删除记录”中查看。")
                % {"reference": erasure.reference},
            )
            return redirect("student_list")
    context: dict[str, object] = {"student": student, "form": form, "refusal": refusal}
    if refusal is None:
        counts = retention.erasure_footprint(student=student).counts
        context["counts"] = [(label, counts[kind]) for kind, label in ERASED_KINDS.items()]
    status = 400 if request.method == "POST" else 200
    return render(request, "aidcase/student_erase.html", context, status=status)
