from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aidcase.forms import DateField, limit_choices
from pairing.models import Pairing
from students.forms import DATE_INPUT, StaffChoiceField
from students.models import Category, School, SchoolClass
from students.selectors import staff_of


class PairingForm(forms.Form):
    teacher = StaffChoiceField(label=_("帮扶教师"), queryset=SchoolClass.objects.none())
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    start = DateField(label=_("开始日期"), widget=DATE_INPUT)
    subject = forms.CharField(
        label=_("学困科目"),
        required=False,
        max_length=20,
        help_text=_("仅学习困难学生：填写困难学科，如“数学”"),
    )
    goals = forms.CharField(
        label=_("帮扶目标"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    measures = forms.CharField(
        label=_("帮扶措施"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "teacher", staff_of(school=school))


class PlanForm(forms.Form):
    goals = forms.CharField(
        label=_("帮扶目标"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    measures = forms.CharField(
        label=_("帮扶措施"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class PairingEndForm(forms.Form):
    end = DateField(label=_("结束日期"), widget=DATE_INPUT)
    reason = forms.ChoiceField(label=_("结束原因"), choices=Pairing.EndReason.choices)
