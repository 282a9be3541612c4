"""`manage.py create_county_admin USERNAME --county NAME [--name NAME]`: a county
administrator (县教育局管理员), who adds the county's schools and their accounts on the page
学校与账号 (/county/schools/). The county is created when it is new."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from students.management.commands.create_school import write_passwords
from students.models import Role
from students.services import county_admin_create


class Command(BaseCommand):
    help = _(
        "创建县教育局管理员账号：在“学校与账号”页面添加本县学校，重置、停用学校账号。"
        "县（区）不存在时一并创建。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=_("用户名（字母、数字、下划线或连字符）"))
        parser.add_argument("--county", required=True, help=_("所属县（区）名称"))
        parser.add_argument("--name", default="", help=_("管理员姓名"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, password, county_created = county_admin_create(
                username=options["username"],
                county_name=options["county"],
                name=options["name"],
                by=None,
            )
        except ValidationError as error:
            labels = {"username": _("用户名"), "county": _("县（区）")}
            problems = [
                f"{labels.get(field, field)}：{message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
            raise CommandError(_("未创建县教育局管理员：") + "；".join(problems)) from None
        county = user.profile.county
        if county_created:
            self.stdout.write(self.style.WARNING(_("已新建县（区）：%(name)s") % {"name": county}))
        self.stdout.write(
            self.style.SUCCESS(
                _("已创建县教育局管理员 %(username)s（%(county)s）")
                % {"username": user.username, "county": county}
            )
        )
        write_passwords(
            self.stdout.write, [(user.username, str(Role.COUNTY_ADMIN.label), password)]
        )
