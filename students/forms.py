from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from aidcase.forms import DateField, limit_choices
from aidcase.permissions import person_label, staff_label
from students.models import (
    Category,
    Identification,
    School,
    SchoolClass,
    Semester,
    Student,
    leaving_day,
)
from students.selectors import ARCHIVED, classes_of, semesters_of, staff_of

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StaffChoices(ModelChoiceIterator):
    """The options from three columns, not from a user and a profile built for each of a
    large school's 160 members of staff."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, username in self.queryset.values_list("pk", "profile__name", "username"):
            yield (pk, staff_label(name, username))


class StaffChoiceField(forms.ModelChoiceField):
    iterator = StaffChoices

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


def with_leaving_day(form: forms.BaseForm, data: dict[str, Any]) -> None:
    """The day a student left, as the status says: none for one at school (在读, 休学), even
    when the field still shows the old day; today for one who left without a day given, as
    the field's help says. Run in a form's clean(), before the model's constraints."""
    if data.get("status") and "left_on" not in form.errors:
        data["left_on"] = leaving_day(data["status"], data.get("left_on"))


class StudentForm(forms.ModelForm):
    entry_year = forms.IntegerField(
        label=_("入学年份"),
        min_value=1990,
        max_value=2100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = Student
        fields = (
            "student_no",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "school_class",
            "status",
            "left_on",
            "guardian_name",
            "guardian_relation",
            "guardian_phone",
            "address",
            "parents_workplace",
            "boarding",
        )
        field_classes = {"birth_date": DateField, "left_on": DateField}
        widgets = {
            "birth_date": DATE_INPUT,
            "left_on": DATE_INPUT,
            "student_no": forms.TextInput(attrs={"autocomplete": "off"}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "guardian_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    field_order = ("student_no", "name", "gender", "birth_date", "id_number", "entry_year")
    registered_id_number: str

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        limit_choices(self, "school_class", classes_of(school=school))
        if self.instance.pk:
            self.fields["entry_year"].initial = self.instance.cohort.entry_year
        # The full number is never put into the page: the field starts empty and keeps the
        # registered number unless a new one is typed (or removal is asked for).
        self.registered_id_number = self.instance.id_number if self.instance.pk else ""
        if self.registered_id_number:
            self.initial["id_number"] = ""
            self.fields["id_number"].help_text = _(
                "已登记：%(masked)s。留空表示不修改，填写新号码将替换。"
            ) % {"masked": self.instance.masked_id_number}
            self.fields["remove_id_number"] = forms.BooleanField(
                label=_("删除已登记的身份证号"), required=False
            )
            order = list(self.field_order)
            order.insert(order.index("id_number") + 1, "remove_id_number")
            self.order_fields(order)

    def clean_id_number(self) -> str:
        typed = self.cleaned_data.get("id_number") or ""
        return typed or self.registered_id_number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove_id_number"):
            data["id_number"] = ""
        with_leaving_day(self, data)
        year, school_class = data.get("entry_year"), data.get("school_class")
        if year is not None and school_class is not None and school_class.cohort.entry_year != year:
            self.add_error("school_class", _("所选班级不属于该入学年份"))
        return data


class IdentificationForm(forms.Form):
    semester = forms.ModelChoiceField(label=_("学期"), queryset=Semester.objects.none())
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    source = forms.ChoiceField(label=_("认定来源"), choices=Identification.Source.choices)
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "semester", semesters_of(school=school))


class SemesterForm(forms.Form):
    code = forms.CharField(
        label=_("学期代码"),
        max_length=11,
        help_text=_(
            "如 2025-2026-1；开学和结束日期留空则用默认值"
            "（第一学期 9月1日—1月31日，第二学期 2月1日—7月31日）"
        ),
        widget=forms.TextInput(attrs={"placeholder": "2025-2026-1", "inputmode": "numeric"}),
    )
    start = forms.DateField(label=_("开学日期"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("结束日期"), required=False, widget=DATE_INPUT)


class SemesterDatesForm(forms.Form):
    start = forms.DateField(label=_("开学日期"), widget=DATE_INPUT)
    end = forms.DateField(label=_("结束日期"), widget=DATE_INPUT)


class SchoolClassForm(forms.Form):
    entry_year = forms.IntegerField(
        label=_("入学年份"),
        min_value=1990,
        max_value=2100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    name = forms.CharField(label=_("班级名称"), max_length=40)
    homeroom_teacher = StaffChoiceField(
        label=_("班主任"), queryset=SchoolClass.objects.none(), required=False
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "homeroom_teacher", staff_of(school=school))


class FilterSelect(forms.Select):
    """A select of a filter, never required: Select would read its choices (a query for a
    model field) only to decide on a `required` attribute such a field never gets. Its
    options are written here, not through Django's template for each option: a school's
    160 teachers took longer that way than the rest of the dashboard."""

    def use_required_attribute(self, initial: Any) -> bool:
        return False

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, SELECTED if str(key) in chosen else "", label) for key, label in self.choices),
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )


SELECTED = mark_safe(" selected")


class StudentFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.SearchInput(attrs={"placeholder": _("姓名或学籍号")}),
    )
    category = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("全部类别")), *Category.choices],
        widget=FilterSelect,
    )
    school_class = forms.ModelChoiceField(
        label=_("班级"),
        required=False,
        queryset=SchoolClass.objects.none(),
        empty_label=_("全部班级"),
        widget=FilterSelect,
    )
    paired = forms.ChoiceField(
        label=_("结对"),
        required=False,
        choices=[("", _("不限")), ("yes", _("已结对")), ("no", _("未结对"))],
    )
    status = forms.ChoiceField(
        label=_("学籍状态"),
        required=False,
        choices=[("", _("全部状态")), *Student.Status.choices, (ARCHIVED, _("已归档"))],
    )

    def __init__(self, *args: Any, school: School | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if school is not None:
            limit_choices(self, "school_class", classes_of(school=school))


class StaffForm(forms.Form):
    staff_number = forms.CharField(
        label=_("工号"),
        max_length=32,
        help_text=_("工号即登录用户名，在全县唯一"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=40)
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    subjects = forms.CharField(
        label=_("任教学科"), max_length=100, required=False, help_text=_("多个学科用“、”分隔")
    )


class StaffEditForm(StaffForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["staff_number"]


class DashboardFilterForm(forms.Form):
    """The dashboard's semester and the class, category and teacher it is narrowed to."""

    semester = forms.ModelChoiceField(
        label=_("学期"),
        queryset=Semester.objects.none(),
        required=False,
        empty_label=None,
        widget=FilterSelect,
    )
    school_class = forms.ModelChoiceField(
        label=_("班级"),
        queryset=SchoolClass.objects.none(),
        required=False,
        empty_label=_("全部班级"),
        widget=FilterSelect,
    )
    category = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("全部类别")), *Category.choices],
        widget=FilterSelect,
    )
    teacher = StaffChoiceField(
        label=_("教师"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("全部教师"),
        widget=FilterSelect,
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "semester", semesters_of(school=school))
        # Named by their own names: a class's year and homeroom teacher are not shown here.
        limit_choices(self, "school_class", SchoolClass.objects.filter(school=school))
        limit_choices(self, "teacher", staff_of(school=school).select_related("profile"))


class PairingCapForm(forms.ModelForm):
    class Meta:
        model = School
        fields = ("pairing_cap",)
        widgets = {"pairing_cap": forms.NumberInput(attrs={"inputmode": "numeric"})}
