from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.models import AssessmentRule


class CommentForm(forms.Form):
    """The aid office's comments on submitting, the principal's on approving."""

    comment = forms.CharField(
        label=_("意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    """Returning or reopening a sheet needs a reason."""

    reason = forms.CharField(
        label=_("原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写原因")},
    )


class AssessmentRuleForm(forms.ModelForm):
    class Meta:
        model = AssessmentRule
        fields = ("points", "threshold")
        widgets = {
            "points": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "threshold": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        }
