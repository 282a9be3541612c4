from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from students.models import County, School
from tests import factories

pytestmark = pytest.mark.django_db


def create_school(*args: str) -> str:
    out = StringIO()
    call_command("create_school", *args, stdout=out)
    return out.getvalue()


def test_creates_a_school_without_a_county():
    # when
    output = create_school("PZ01", "平寨镇中学")

    # then
    school = School.objects.get(code="PZ01")
    assert school.name == "平寨镇中学"
    assert school.county is None
    assert "已创建学校 PZ01：平寨镇中学" in output


def test_creates_the_county_named_with_the_school():
    # when
    output = create_school("PZ01", "平寨镇中学", "--county", "示范县")

    # then
    school = School.objects.get(code="PZ01")
    assert school.county is not None
    assert school.county.name == "示范县"
    assert "（示范县）" in output


def test_reuses_a_county_that_already_exists():
    # given
    county = County.objects.create(name="示范县")

    # when
    create_school("PZ01", "平寨镇中学", "--county", "示范县")
    create_school("GT01", "高屯镇中学", "--county", " 示范县 ")

    # then
    assert County.objects.count() == 1
    assert set(county.schools.values_list("code", flat=True)) == {"PZ01", "GT01"}


def test_trims_spaces_around_code_and_name():
    # when
    create_school(" PZ01 ", " 平寨镇中学 ")

    # then
    assert School.objects.filter(code="PZ01", name="平寨镇中学").exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("TAKEN", "另一所中学"), "学校代码“TAKEN”已被“原有中学”使用"),
        (("PZ 01", "平寨镇中学"), "学校代码“PZ 01”含有不允许的字符"),
        (("平寨", "平寨镇中学"), "只能使用字母、数字、下划线或连字符"),
        (("", "平寨镇中学"), "学校代码：此字段不能为空"),
        (("X" * 33, "平寨镇中学"), "学校代码：确保该变量包含不超过 32 字符"),
        (("PZ01", ""), "学校名称：此字段不能为空"),
        (("PZ01", "   "), "学校名称：此字段不能为空"),
        (("PZ01", "中" * 101), "学校名称：确保该变量包含不超过 100 字符"),
        (("PZ01", "平寨镇中学", "--county", "县" * 61), "县（区）：确保该变量包含不超过 60 字符"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_is_written(args, problem):
    # given
    factories.SchoolFactory(code="TAKEN", name="原有中学", county=None)

    # when
    with pytest.raises(CommandError) as refused:
        create_school(*args)

    # then
    assert str(refused.value).startswith("未创建学校：")
    assert problem in str(refused.value)
    assert list(School.objects.values_list("code", flat=True)) == ["TAKEN"]
    assert not County.objects.exists()


def test_a_refused_school_does_not_leave_its_new_county_behind():
    # when
    with pytest.raises(CommandError):
        create_school("PZ 01", "平寨镇中学", "--county", "示范县")
    with pytest.raises(CommandError):
        create_school("PZ01", "", "--county", "示范县")

    # then
    assert not County.objects.exists()
    assert not School.objects.exists()
