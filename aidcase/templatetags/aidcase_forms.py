"""`{% form_key %}` inside every POST form: the key that makes a second sending of the same
form answer as the first (aidcase.submissions). A builtin, so no template needs to load it."""

from django import template
from django.utils.safestring import SafeString

from aidcase.submissions import form_key_field

register = template.Library()


@register.simple_tag
def form_key() -> SafeString:
    return form_key_field()
