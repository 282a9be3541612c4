"""System checks of what settings.py cannot refuse by itself: the ID-number key (its ids keep
the `aidcase.` prefix they were published with)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from students import fields


@register(Tags.security)
def id_number_key_is_usable(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        fields.lookup_hash("0")
    except ImproperlyConfigured as error:
        return [Error(str(error), hint=_GENERATE, id="aidcase.E001")]
    return []


@register(Tags.security, deploy=True)
def id_number_key_comes_from_the_environment(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.ID_NUMBER_KEY_FROM_ENV:
        return []
    return [
        Warning(
            "AIDCASE_ID_KEY is not set: ID numbers are encrypted with a development key kept "
            "in var/id_key.",
            hint=_GENERATE + " Keep it apart from the database and its backups.",
            id="aidcase.W001",
        )
    ]


_GENERATE = "Set AIDCASE_ID_KEY to the output of `manage.py id_key --generate`."
