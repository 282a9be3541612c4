"""The roles of AidCase's users (DESIGN "Who uses it"). The ground floor's own words: the
permission helpers and the navigation decide by role without knowing the apps above."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TEACHER = "teacher", _("帮扶教师")
    OFFICE = "office", _("学校资助办")
    PRINCIPAL = "principal", _("校长")
    COUNTY = "county", _("县教育局")
    # Adds the county's schools and their two accounts, resets and deactivates those
    # accounts; sees the county's roll-up like the county bureau, never a child's record.
    COUNTY_ADMIN = "county_admin", _("县教育局管理员")


# The roles that belong to a county (a profile with a county and no school): the readers of
# its roll-up.
COUNTY_ROLES = (Role.COUNTY, Role.COUNTY_ADMIN)
