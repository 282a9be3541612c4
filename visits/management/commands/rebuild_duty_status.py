"""`manage.py rebuild_duty_status [--school CODE] [--latest-only] [--stale-only]`: counts and
stores every pairing's duty status again (`visits.duty_store`): after a bulk write of logs
that bypassed the services, or to fill the store of an existing database before the first
reads would (a county's first /county/ would otherwise count every pairing itself).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from students.models import School
from visits.duty_store import duty_status_rebuild


class Command(BaseCommand):
    help = _(
        "重新计算并保存每个结对的帮扶措施完成情况：批量写入帮扶记录之后，或升级后首次打开页面之前。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", default="", help=_("只处理该学校代码的学校"))
        parser.add_argument(
            "--latest-only",
            action="store_true",
            help=_("只计算各校已开学的最近一个学期"),
        )
        parser.add_argument(
            "--stale-only",
            action="store_true",
            help=_("只计算尚未保存或已过期的结对"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schools = None
        code = options["school"].strip()
        if code:
            schools = list(School.objects.filter(code=code))
            if not schools:
                raise CommandError(_("学校代码 %(code)s 不存在") % {"code": code})
        counted = duty_status_rebuild(
            schools=schools,
            force=not options["stale_only"],
            latest_only=options["latest_only"],
        )
        self.stdout.write(self.style.SUCCESS(_("已计算 %(n)s 个结对学期") % {"n": counted}))
