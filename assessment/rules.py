"""Writes for a school's assessment rules: the points an effective pairing earns and the
progress threshold below which it is ineffective, per category.

A category without a row of the school's uses DESIGN's defaults (`scoring.DEFAULT_RULES`,
through `assessment.services.rules_for`); saving writes all four rows, resetting deletes
them.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aidcase.audit import RULES_REASON, tracked_bulk_create
from assessment import scoring
from assessment.models import AssessmentRule
from students.models import Category, School


@transaction.atomic
def assessment_rules_save(
    *, school: School, rules: Mapping[str, scoring.CategoryRule], by: Any
) -> list[AssessmentRule]:
    """Replaces the school's rules with one per category; every category must be given and
    valid (0–100 points, a threshold of 0.50–3.00) before anything is written."""
    missing = [label for value, label in Category.choices if value not in rules]
    if missing:
        raise ValidationError(
            _("缺少类别的计分规则：%(missing)s"), params={"missing": "、".join(map(str, missing))}
        )
    built = [
        AssessmentRule(
            school=school, category=category, points=rule.points, threshold=rule.threshold
        )
        for category, rule in rules.items()
    ]
    for rule in built:
        rule.full_clean(exclude=["school"], validate_unique=False)
    AssessmentRule.objects.filter(school=school).delete()
    return tracked_bulk_create(AssessmentRule, built, by=by, reason=RULES_REASON)


@transaction.atomic
def assessment_rules_reset(*, school: School, by: Any) -> None:
    """Back to DESIGN's 2/1/1/5 points and 1.05/1.10 thresholds."""
    AssessmentRule.objects.filter(school=school).delete()
