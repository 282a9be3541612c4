"""`manage.py restore IN [--force]`: a backup of `manage.py backup` back into an empty database
and MEDIA_ROOT, all or nothing (governance.backup)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from governance.backup import backup_restore, human_size, local_time
from governance.backup_file import BackupError


class Command(BaseCommand):
    help = _(
        "从 manage.py backup 生成的加密备份恢复数据库和媒体目录，密钥取自环境变量 "
        "AIDCASE_BACKUP_KEY。目标须是刚运行过 migrate 的空数据库；全部成功才生效。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("备份文件"))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("目标数据库或媒体目录已有数据时，先全部清空再恢复"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            summary = backup_restore(path=path, key=settings.BACKUP_KEY, force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "恢复完成：%(name)s（备份于 %(created)s）；%(tables)s 张表共 %(rows)s 行，"
                "%(files)s 个媒体文件（%(media)s）；用时 %(seconds).1f 秒。所有用户需重新登录。"
            )
            % {
                "name": path.name,
                "created": local_time(summary.created_at),
                "tables": summary.tables,
                "rows": summary.rows,
                "files": summary.media_files,
                "media": human_size(summary.media_bytes),
                "seconds": summary.seconds,
            }
        )
