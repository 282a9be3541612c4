import datetime as dt

import pytest

from students import idcard

VALID = "11010519491231002X"  # the published GB 11643 example


def with_check(first17: str) -> str:
    return first17 + idcard.check_char(first17)


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("52010120120315123", "4")],
)
def test_check_char_follows_gb11643(first17, expected):
    assert idcard.check_char(first17) == expected


def test_valid_number_has_no_problems():
    assert idcard.problems(VALID, birth=dt.date(1949, 12, 31)) == []


def test_lowercase_x_and_spaces_are_normalized():
    assert idcard.problems(" 11010519491231002x ") == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "身份证号校验位错误"),
        ("1101051949123100", "身份证号应为18位"),
        ("11010519491231002Y", "身份证号应为18位"),
        (with_check("11010520230230002"), "出生日期无效"),
    ],
)
def test_bad_numbers_are_explained_in_chinese(value, message):
    problems = idcard.problems(value)
    assert any(message in p for p in problems)


def test_birth_date_must_agree():
    problems = idcard.problems(VALID, birth=dt.date(1950, 1, 1))
    assert problems == ["身份证号中的出生日期（1949-12-31）与出生日期不一致"]


@pytest.mark.parametrize(
    ("value", "masked"),
    [("520101201203151234", "5201**********1234"), ("1234567", "*******")],
)
def test_mask_keeps_region_and_last_four(value, masked):
    assert idcard.mask(value) == masked
