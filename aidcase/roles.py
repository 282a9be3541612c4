"""The roles of AidCase's users (DESIGN "Who uses it"). The ground floor's own words: the
permission helpers and the navigation decide by role without knowing the apps above."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TEACHER = "teacher", _("帮扶教师")
    OFFICE = "office", _("学校资助办")
    PRINCIPAL = "principal", _("校长")
    COUNTY = "county", _("县教育局")
