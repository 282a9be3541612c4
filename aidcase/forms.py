import datetime as dt
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from aidcase.params import FIRST_DAY, LAST_DAY


def validate_day(value: dt.date) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            _("请填写 %(first)s 至 %(last)s 之间的日期"),
            code="day_out_of_range",
            params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )


class DateField(forms.DateField):
    """Every date a form takes: a day outside the years AidCase deals in is a typo, answered
    beside the field, and date arithmetic on the days inside cannot overflow."""

    default_validators = [validate_day]


def limit_choices(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Restricts a model choice field to the records this form's user may pick."""
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Shows a service's validation errors on the form: beside the field they name when the
    form has that field, at the top of the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        for message in messages:
            form.add_error(target, message)
