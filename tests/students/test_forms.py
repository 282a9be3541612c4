"""The dashboard's filter form: its selects, written by FilterSelect, say what Django's own
Select says (the same options, the chosen one selected, names escaped, the field's id), and
the staff's options come from their names and usernames."""

import re

import pytest
from django import forms

from students.forms import DashboardFilterForm, FilterSelect
from students.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"(\s+selected)?>([^<]*)</option>', html
        )
    ]


def test_the_filter_selects_write_the_options_django_s_select_writes(school):
    # Given a school with two classes, staff (one with a name that needs escaping)
    factories.SemesterFactory(school=school)
    first = factories.SchoolClassFactory(school=school, name="七(1)班")
    factories.SchoolClassFactory(school=school, name="七(2)班", cohort=first.cohort)
    factories.make_user(Role.TEACHER, school=school, user__username="T1", name="汤老师")
    factories.make_user(Role.TEACHER, school=school, user__username="T2", name="<b>蒂</b>")
    # When the form is bound to a chosen class and rendered with each widget
    data = {"school_class": str(first.pk)}
    form = DashboardFilterForm(data, school=school)
    assert form.is_valid(), form.errors
    for name in ("semester", "school_class", "category", "teacher"):
        assert isinstance(form.fields[name].widget, FilterSelect)
        ours = str(form[name])
        theirs = form[name].as_widget(widget=forms.Select(choices=form.fields[name].choices))
        # Then the options, the selection and the escaping are the same, and so is the id
        assert options(ours) == options(theirs), name
        assert f'id="id_{name}"' in ours and "required" not in ours
    assert ("", False, "全部班级") in options(str(form["school_class"]))
    assert (str(first.pk), True, "七(1)班") in options(str(form["school_class"]))
    teachers = [label for _value, _selected, label in options(str(form["teacher"]))]
    assert "&lt;b&gt;蒂&lt;/b&gt;（T2）" in teachers and "汤老师（T1）" in teachers
