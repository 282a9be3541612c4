from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidcase.forms import DateField
from students.forms import DATE_INPUT
from visits.models import LOG_FIELDS, ActivityLog, Incident, IncidentType, Kind, State

# Fields shown only for one kind of activity (the rest are common to all).
KIND_FIELDS = {
    Kind.MATERIAL_AID: ("aid_items", "aid_amount"),
    Kind.HOME_VISIT: (
        "visit_place",
        "visit_present",
        "family_situation",
        "poverty_cause",
        "aid_needs",
    ),
    Kind.EXAM_GUIDANCE: ("exam_name",),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; their content is checked by the photo service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class LogForm(forms.ModelForm):
    photos = MultipleImageField(
        label=_("家访照片"),
        required=False,
        help_text=_("最多 6 张，JPEG、PNG 或 WebP，每张不超过 10 MB；位置等信息会被去除"),
    )

    class Meta:
        model = ActivityLog
        fields = LOG_FIELDS
        field_classes = {"date": DateField}
        widgets = {
            "date": DATE_INPUT,
            "duration_minutes": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
            "content": forms.Textarea(attrs={"rows": 3}),
            "follow_up": forms.Textarea(attrs={"rows": 2}),
            "aid_amount": forms.NumberInput(
                attrs={"inputmode": "decimal", "min": 0, "step": "0.01"}
            ),
            "family_situation": forms.Textarea(attrs={"rows": 2}),
            "poverty_cause": forms.Textarea(attrs={"rows": 2}),
            "aid_needs": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()
        for name in ("study_state", "life_state", "mood"):
            cast(forms.ChoiceField, self.fields[name]).choices = [("", "—"), *State.choices]
        # Required for their kind only (ActivityLog.clean), in the part of the form that only
        # that kind shows: marked required there, as a field required always is.
        for name in ("aid_items", "visit_place", "exam_name"):
            self.fields[name].required_where_shown = True  # type: ignore[attr-defined]
            self.fields[name].widget.attrs["aria-required"] = "true"


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=200)


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = ("date", "type", "note")
        field_classes = {"date": DateField}
        widgets = {"date": DATE_INPUT, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            ("", _("请选择")),
            *IncidentType.choices,
        ]
