"""Arguments shared by the daily commands (send_reminders, retention)."""

import datetime as dt
import re

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day_argument(value: str) -> dt.date:
    """A command's --date: today by default. A day to come is refused: a run for it would
    stand in for the real one of that day (its reminders would never be sent, students would
    be archived early)."""
    if not value:
        return timezone.localdate()
    try:
        # fromisoformat() alone also takes 20250901 and 2025-W36-1.
        if not DATE_RE.fullmatch(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("日期 %(value)s 无效，应为 YYYY-MM-DD，例如 2025-09-01") % {"value": value}
        ) from None
    if day > timezone.localdate():
        raise CommandError(_("日期不能晚于今天"))
    return day
