import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidcase.forms import DateField
from aidcase.permissions import is_office
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


def late_date_check(day: dt.date | None, *, new: bool, by: Any) -> None:
    """A teacher records a log or an incident up to `settings.LATE_DAYS` days after its date
    (a visit written on a phone without signal arrives when the phone is back online). The
    rule is the forms' (what people type), not the model's: imports and the demo write past
    records, and the aid office, which completes the record, adds older ones."""
    if day is None or not new or by is None or is_office(by):
        return
    earliest = timezone.localdate() - dt.timedelta(days=settings.LATE_DAYS)
    if day < earliest:
        raise ValidationError(
            _("只能补录 %(days)d 天内的记录（%(earliest)s 及以后）；更早的请联系资助办补录。"),
            code="too_late",
            params={"days": settings.LATE_DAYS, "earliest": earliest.isoformat()},
        )


def _late_date_after_the_rest(form: forms.ModelForm, *, by: Any) -> None:
    # After the field's and the model's rules: a date outside the pairing is told as that.
    if not form.is_bound or form.has_error("date"):
        return
    try:
        late_date_check(form.cleaned_data.get("date"), new=form.instance.pk is None, by=by)
    except ValidationError as error:
        form.add_error("date", error)


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

    def full_clean(self) -> None:
        super().full_clean()
        author = self.instance.author if self.instance.author_id else None
        _late_date_after_the_rest(self, by=author)


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

    def full_clean(self) -> None:
        super().full_clean()
        by = self.instance.recorded_by if self.instance.recorded_by_id else None
        _late_date_after_the_rest(self, by=by)
