"""The county page's semester is chosen from a list of the county's semesters, not typed."""

import re

import pytest

from students.models import Role
from students.selectors import semester_code_for, today
from tests import factories
from tests.conftest import login
from tests.helpers import text

pytestmark = pytest.mark.django_db


def options(page: str) -> list[tuple[str, str, bool]]:
    select = re.search(r'<select id="semester" name="semester">(.*?)</select>', page, re.S)
    assert select is not None, "no semester list"
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select[1]
        )
    ]


def test_the_semesters_of_the_county_s_schools_newest_first_with_the_shown_one_chosen():
    county = factories.CountyFactory()
    for code in ("2024-2025-2", "2025-2026-1"):
        factories.SemesterFactory(school=factories.SchoolFactory(county=county), code=code)
    factories.SemesterFactory(school=factories.SchoolFactory(), code="2023-2024-1")  # elsewhere
    viewer = login(factories.make_user(Role.COUNTY, county=county))
    current = semester_code_for(today())

    listed = options(text(viewer.get("/county/?semester=2024-2025-2")))

    codes = [value for value, _label, _selected in listed]
    assert codes == sorted({current, "2024-2025-2", "2025-2026-1"}, reverse=True)
    assert [value for value, _label, selected in listed if selected] == ["2024-2025-2"]
    assert ("2024-2025-2", "2024—2025学年第二学期", True) in listed
    assert "2023-2024-1" not in codes


def test_without_any_semester_the_current_one_is_offered():
    county = factories.CountyFactory()
    factories.SchoolFactory(county=county)
    viewer = login(factories.make_user(Role.COUNTY, county=county))
    current = semester_code_for(today())
    assert [(v, s) for v, _label, s in options(text(viewer.get("/county/")))] == [(current, True)]
