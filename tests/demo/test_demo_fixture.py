from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from pairing.models import Pairing
from students import idcard
from students.models import Category, Identification, Profile, Role, School, Student

pytestmark = pytest.mark.django_db

FIXTURE = Path(django_settings.BASE_DIR) / "fixtures" / "demo.json"
FIXTURE_PASSWORD = "demo-password-2026"


@pytest.fixture
def loaded():
    call_command("loaddata", str(FIXTURE), verbosity=0)


def test_demo_fixture_loads_a_small_demo_school(loaded):
    # then
    school = School.objects.get(code="DEMO1")
    assert school.county is not None
    assert school.county.name == "示范县"
    assert Student.objects.filter(school=school).count() == 30
    roles = dict(Profile.objects.values_list("user__username", "role"))
    assert roles["county"] == Role.COUNTY
    assert roles["principal-DEMO1"] == Role.PRINCIPAL
    assert roles["office-DEMO1"] == Role.OFFICE
    assert roles["DEMO1T001"] == Role.TEACHER


def test_demo_fixture_holds_every_category_and_valid_pairings(loaded):
    # then
    assert set(Identification.objects.values_list("category", flat=True)) == set(Category.values)
    pairings = Pairing.objects.select_related("teacher__profile", "student", "school")
    assert pairings.exists()
    for pairing in pairings:
        pairing.full_clean()
    helpers = Counter(
        student
        for student, _teacher in set(
            pairings.filter(end__isnull=True).values_list("student", "teacher")
        )
    )
    assert max(helpers.values()) >= 2
    for student in Student.objects.all():
        assert idcard.problems(student.id_number, birth=student.birth_date) == []


def test_demo_fixture_accounts_use_the_documented_password(loaded, settings):
    # given: the fixture was made with the default hasher, which the test settings replace
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

    # when
    user = get_user_model().objects.get(username="principal-DEMO1")

    # then
    assert user.check_password(FIXTURE_PASSWORD)
