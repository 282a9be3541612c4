from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.models import QUESTIONS, RATING_CHOICES, AssessmentRule, Questionnaire


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


# Questionnaires

RATING_ERRORS = {
    "required": _("请选择 1—5 中的一项"),
    "invalid_choice": _("请选择 1—5 中的一项"),
}


def _rating(question: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=question,
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages=RATING_ERRORS,
    )


class QuestionnaireForm(forms.Form):
    """The five ratings, who answers and a comment: the public link's form and the aid
    office's entry of a paper slip."""

    respondent = forms.ChoiceField(
        label=_("填写人"),
        choices=[
            (Questionnaire.Respondent.STUDENT, _("学生本人")),
            (Questionnaire.Respondent.PARENT, _("家长")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择填写人"), "invalid_choice": _("请选择填写人")},
    )
    q1 = _rating(QUESTIONS[0])
    q2 = _rating(QUESTIONS[1])
    q3 = _rating(QUESTIONS[2])
    q4 = _rating(QUESTIONS[3])
    q5 = _rating(QUESTIONS[4])
    comment = forms.CharField(
        label=_("意见和建议"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("意见和建议最多 %(limit_value)d 字（现在 %(show_value)d 字）")
        },
    )

    def rating_fields(self) -> list[forms.BoundField]:
        return [self[f"q{n}"] for n in range(1, len(QUESTIONS) + 1)]

    def ratings(self) -> list[int]:
        return [self.cleaned_data[f"q{n}"] for n in range(1, len(QUESTIONS) + 1)]
