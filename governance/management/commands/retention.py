"""`manage.py retention [--date YYYY-MM-DD] [--dry-run]`: the daily retention run.

Archives graduated and transferred students once they have been gone for
AIDCASE_ARCHIVE_AFTER_DAYS, deletes login records and reminders past their periods, expired
export ZIPs and import uploads, and media files no record points to (governance.retention). Run
daily from cron; a second run on the same day finds nothing to do.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from aidcase.management.arguments import day_argument
from governance.retention import retention_run


class Command(BaseCommand):
    help = _(
        "数据保存期限：归档离校满期限的毕业、转出学生，删除过期的登录记录、提醒、"
        "压缩包、导入文件和无主的照片文件。每天运行一次，重复运行不会重复处理。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", default="", help=_("按哪一天计算 YYYY-MM-DD，默认今天"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("只列出会处理多少条，不做任何更改")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        on = day_argument(options["date"].strip())
        dry_run = options["dry_run"]
        for step in retention_run(on=on, dry_run=dry_run):
            self.stdout.write(_("%(step)s：%(count)d") % {"step": step.label, "count": step.count})
        if dry_run:
            self.stdout.write(self.style.WARNING(_("试运行：以上只是统计，未做任何更改。")))
        else:
            done = _("%(date)s 的保存期限处理已完成。") % {"date": on}
            self.stdout.write(self.style.SUCCESS(done))
