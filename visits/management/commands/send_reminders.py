"""`manage.py send_reminders [--date YYYY-MM-DD] [--school CODE]`: the day's reminders.

Run daily from cron. Running it again on the same day sends nothing twice.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from aidcase.management.arguments import day_argument
from students.models import School
from visits.reminders import reminders_send


class Command(BaseCommand):
    help = _(
        "发送帮扶提醒：每位帮扶教师当天的待完成与逾期任务，每位校长的每周汇总；"
        "站内提醒总会生成，有邮箱的用户同时收到邮件。同一天重复运行不会重复发送。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", default="", help=_("提醒日期 YYYY-MM-DD，默认今天"))
        parser.add_argument("--school", default="", help=_("只处理该学校代码的学校"))

    def handle(self, *args: Any, **options: Any) -> None:
        on = day_argument(options["date"].strip())
        school = None
        code = options["school"].strip()
        if code:
            school = School.objects.filter(code=code).first()
            if school is None:
                raise CommandError(_("学校代码 %(code)s 不存在") % {"code": code})
        run = reminders_send(on=on, school=school)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(date)s：新建站内提醒 %(created)s 条，发送邮件 %(emailed)s 封，"
                    "已发送过而跳过 %(skipped)s 条"
                )
                % {
                    "date": on.isoformat(),
                    "created": run.created,
                    "emailed": run.emailed,
                    "skipped": run.skipped,
                }
            )
        )
        if run.failed:
            self.stderr.write(_("%(n)s 封邮件未能发送，相应提醒仍可在站内查看") % {"n": run.failed})
