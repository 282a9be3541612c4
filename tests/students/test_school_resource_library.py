"""The county's list of schools on django-import-export: SchoolResource's dry run (the
preview's new / changed / unchanged and changed columns), its all-or-nothing real run with
history, the plan's queries, and no admin import (the one-time passwords are shown only to
whoever imports the sheet)."""

import io

import pytest
import tablib
from django.contrib import admin
from django.contrib.auth import get_user_model
from import_export.admin import ImportMixin

from aidcase.audit import IMPORT_REASON
from aidcase.spreadsheets import parse, read_table, workbook_bytes
from imports.services import import_county_file
from students.models import County, Profile, School
from students.school_resources import SchoolResource, SchoolsSheet
from tests import factories

pytestmark = pytest.mark.django_db

SHEET = SchoolsSheet()
HEADERS = ["学校代码", "学校名称", "乡镇", "学段", "校长姓名", "资助办负责人"]
COUNTY = "示范县"


def school(n: int, **values: str) -> tuple[str, ...]:
    row = {
        "学校代码": f"PZ{n:02d}",
        "学校名称": f"平寨镇第{n}中学",
        "乡镇": "平寨镇",
        "学段": "初中",
        "校长姓名": f"王校长{n}",
        "资助办负责人": f"李老师{n}",
    }
    row.update(values)
    return tuple(row[h] for h in HEADERS)


def xlsx(*rows: tuple[str, ...]) -> bytes:
    return workbook_bytes(title="学校名单", columns=SHEET.columns, rows=rows)


def raw_dataset(*rows: tuple[str, ...]) -> tablib.Dataset:
    """A dataset as the admin's formats read a file: the first row is the header."""
    data = tablib.Dataset(headers=HEADERS)
    for row in rows:
        data.append(row)
    return data


def run(*rows: tuple[str, ...], by=None, dry_run: bool = False):
    return import_county_file(
        kind="schools",
        file=io.BytesIO(xlsx(*rows)),
        name="学校名单.xlsx",
        county_name=COUNTY,
        by=by,
        dry_run=dry_run,
    )


def counts() -> dict[str, int]:
    models = (County, School, get_user_model(), Profile)
    return {model.__name__: model.objects.count() for model in models}


def test_the_dry_run_tells_new_changed_and_unchanged_rows_with_the_changed_columns():
    # given two schools already imported
    run(school(1), school(2))
    before = counts()

    # when a file with one of them renamed and moved, and a new one, is dry-run
    plan, result = run(
        school(1), school(2, 学校名称="平寨镇二中", 学段="九年一贯制"), school(3), dry_run=True
    )

    # then the plan says what each row would do, with the changed columns, and saves nothing
    assert result is None
    assert not plan.errors
    assert [(c.row, c.key, c.action, c.fields) for c in plan.changes] == [
        (2, "PZ01", "unchanged", []),
        (3, "PZ02", "changed", ["学校名称", "学段"]),
        (4, "PZ03", "new", []),
    ]
    assert plan.creates == []
    assert counts() == before
    assert School.objects.get(code="PZ02").name == "平寨镇第2中学"


def test_a_new_county_is_announced_and_made_only_by_the_real_run():
    plan, _result = run(school(1), dry_run=True)

    assert plan.creates == [f"县（区）：{COUNTY}"]
    assert not County.objects.exists()

    _plan, result = run(school(1))

    assert School.objects.get(code="PZ01").county == County.objects.get(name=COUNTY)
    assert result["new"] == 1 and result["changed"] == 0
    assert [(username, password != "") for username, _role, password in result["passwords"]] == [
        ("office-PZ01", True),
        ("principal-PZ01", True),
    ]


def test_a_bad_row_saves_nothing():
    # given the county, and a school of another county
    factories.CountyFactory(name=COUNTY)
    factories.SchoolFactory(code="OTHER1", county=factories.CountyFactory(name="邻县"))
    before = counts()

    # when a file with two good rows and that school is imported for real
    result = SchoolResource(county_name=COUNTY).import_data(
        raw_dataset(school(1), school(2), school(3, 学校代码="OTHER1")),
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )

    # then the row is refused with its message, and no school nor account is saved
    assert [row.import_type for row in result.rows] == ["new", "new", "invalid"]
    assert result.invalid_rows[0].error.messages == [
        "第 4 行「学校代码」：该学校代码已被其他县（区）的学校使用，请核对代码"
    ]
    assert counts() == before


def test_history_names_the_import_and_who_made_it():
    # given a county administrator who imported two schools
    by = factories.UserFactory()
    run(school(1), school(2), by=by)

    # when a file renames one of them
    run(school(1), school(2, 学校名称="平寨镇二中"), by=by)

    # then every write of a school is in its history with the import's reason and the account
    changed = School.objects.get(code="PZ02")
    assert [(h.history_type, h.name) for h in changed.history.order_by("history_id")] == [
        ("+", "平寨镇第2中学"),
        ("~", "平寨镇二中"),
    ]
    entries = list(School.history.all())
    assert len(entries) == 3
    assert {(e.history_change_reason, e.history_user_id) for e in entries} == {
        (IMPORT_REASON, by.pk)
    }


def plan_of(data: bytes):
    rows = parse(read_table(io.BytesIO(data), SHEET.columns, name="学校名单.xlsx"), SHEET.columns)
    return SHEET.plan(rows, county_name=COUNTY, by=None)


@pytest.mark.parametrize("n", [5, 50])
def test_a_plan_makes_the_same_queries_for_any_size(n, django_assert_num_queries):
    # given n schools of the county, and a file changing them and adding n more
    run(*(school(i) for i in range(n)))
    data = xlsx(*(school(i, 乡镇="高屯镇") for i in range(2 * n)))

    # when / then: the county, the schools of the file's codes, the accounts the new ones want
    with django_assert_num_queries(3):
        plan = plan_of(data)
    assert plan.count("changed") == n
    assert plan.count("new") == n


def test_the_admin_offers_no_import_of_schools():
    # The accounts' one-time passwords are shown only to whoever imports the sheet.
    assert not isinstance(admin.site._registry[School], ImportMixin)
