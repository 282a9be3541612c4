"""Resident identity card numbers (居民身份证号码, GB 11643-1999): validation and masking."""

import datetime as dt
import re

from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


def normalize(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def looks_like_id_number(value: str) -> bool:
    """Shaped like an 18-character number (a search box's query), whether or not it is valid."""
    return bool(_PATTERN.match(normalize(value)))


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def birth_date(number: str) -> dt.date | None:
    """The birth date encoded in positions 7–14, or None when it is not a real date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def problems(value: str, *, birth: dt.date | None = None) -> list[str]:
    """Reasons the number is not acceptable, in Chinese; empty when it is fine."""
    number = normalize(value)
    if not _PATTERN.match(number):
        return [_("身份证号应为18位，前17位为数字，最后一位为数字或X")]
    encoded = birth_date(number)
    if encoded is None:
        return [_("身份证号中的出生日期无效")]
    errors = []
    if check_char(number[:17]) != number[17]:
        errors.append(_("身份证号校验位错误"))
    if birth is not None and encoded != birth:
        errors.append(
            _("身份证号中的出生日期（%(date)s）与出生日期不一致") % {"date": encoded.isoformat()}
        )
    return errors


def mask(value: str) -> str:
    """5201**********1234: keep the region prefix and the last four characters."""
    number = normalize(value)
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
