"""`{% form_key %}` inside every POST form: the key that makes a second sending of the same
form answer as the first (aidcase.submissions); `field_errors` for a refused form's summary.
A builtin, so no template needs to load it."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from aidcase.submissions import form_key_field

register = template.Library()


@register.simple_tag
def form_key() -> SafeString:
    return form_key_field()


@register.filter
def field_errors(form: Any) -> list[tuple[Any, str]]:
    """Each visible field with an error, and its first message: the error summary at the top
    of a refused form (templates/includes/form_fields.html)."""
    return [(field, field.errors[0]) for field in form.visible_fields() if field.errors]
