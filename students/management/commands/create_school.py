"""`manage.py create_school CODE NAME [--county NAME] [--accounts]`: one school, its county if
new, and with `--accounts` its aid-office and principal accounts."""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from students.models import County, School
from students.services import school_account_problems, school_accounts_create, school_create

# Mirrors the `school_code_charset` constraint, whose own violation message only names the
# constraint; checking first lets the command say which characters are allowed.
CODE_CHARSET = re.compile(r"^[A-Za-z0-9_-]+$")


class Command(BaseCommand):
    help = _("创建一所学校：学校代码、学校名称，可选所属县（区），县（区）不存在时一并创建。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help=_("学校代码（字母、数字、下划线或连字符）"))
        parser.add_argument("name", help=_("学校名称"))
        parser.add_argument("--county", default="", help=_("所属县（区）名称"))
        parser.add_argument(
            "--accounts",
            action="store_true",
            help=_("同时建立资助办账号 office-学校代码 和校长账号 principal-学校代码"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code, name, county_name = (
            options["code"].strip(),
            options["name"].strip(),
            options["county"].strip(),
        )
        problems = _input_problems(code=code, county_name=county_name)
        if options["accounts"] and code and not problems:
            problems = school_account_problems(code=code)
        if problems:
            raise CommandError(_("未创建学校：") + "；".join(problems))
        try:
            with transaction.atomic():
                school = school_create(code=code, name=name, county_name=county_name)
                accounts = (
                    school_accounts_create(school=school, by=None) if options["accounts"] else []
                )
        except ValidationError as error:
            raise CommandError(_("未创建学校：") + "；".join(_describe(error))) from None
        if school.county is not None:
            message = _("已创建学校 %(code)s：%(name)s（%(county)s）") % {
                "code": school.code,
                "name": school.name,
                "county": school.county.name,
            }
        else:
            message = _("已创建学校 %(code)s：%(name)s") % {
                "code": school.code,
                "name": school.name,
            }
        self.stdout.write(self.style.SUCCESS(message))
        if accounts:
            write_passwords(self.stdout.write, accounts)


def write_passwords(
    write: Any, accounts: Iterable[Sequence[str]], *, columns: Sequence[str] = ()
) -> None:
    """The one-time passwords as a table, shown this once only: each account must change its
    password at the first login. `columns` names the columns (default: account, role,
    password)."""
    write(_("一次性密码（只显示这一次，首次登录时须修改）："))
    write("\t".join(columns or (_("账号"), _("角色"), _("一次性密码"))))
    for row in accounts:
        write("\t".join(row))


def _input_problems(*, code: str, county_name: str) -> list[str]:
    """What the model's own validation would report unclearly, or too late: a taken code
    (named with the school that holds it), characters outside the code's charset, and a
    county name the county table cannot hold (the service creates counties unvalidated)."""
    problems = []
    existing = School.objects.filter(code=code).first() if code else None
    if existing is not None:
        problems.append(
            _("学校代码“%(code)s”已被“%(name)s”使用") % {"code": code, "name": existing.name}
        )
    elif code and not CODE_CHARSET.match(code):
        problems.append(
            _("学校代码“%(code)s”含有不允许的字符，只能使用字母、数字、下划线或连字符")
            % {"code": code}
        )
    if county_name:
        try:
            County(name=county_name).clean_fields()
        except ValidationError as error:
            problems.extend(_describe(error, model=County))
    return problems


def _describe(error: ValidationError, *, model: type[School] | type[County] = School) -> list[str]:
    """One line per problem, each led by the label of the field it concerns."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    lines: list[str] = []
    for field, messages in error.message_dict.items():
        label = (
            ""
            if field == NON_FIELD_ERRORS
            else str(getattr(model._meta.get_field(field), "verbose_name", field))
        )
        lines.extend(f"{label}：{message}" if label else message for message in messages)
    return lines
