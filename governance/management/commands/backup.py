"""`manage.py backup OUT`: the database and MEDIA_ROOT in one encrypted file (governance.backup)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from governance.backup import backup_write, human_size
from governance.backup_file import BackupError, backup_key_generate


class Command(BaseCommand):
    help = _(
        "把整个数据库和媒体目录（家访照片等）备份为一个加密文件，密钥取自环境变量 "
        "AIDCASE_BACKUP_KEY；用 --generate-key 生成新密钥。用 manage.py restore 恢复。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", nargs="?", help=_("要写入的备份文件（不能已存在）"))
        parser.add_argument(
            "--generate-key", action="store_true", help=_("生成并打印一个新的备份密钥，不做备份")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate_key"]:
            self.stdout.write(backup_key_generate())
            self.stderr.write(
                _(
                    "请把这个密钥设为环境变量 AIDCASE_BACKUP_KEY，并另行保存在服务器和备份之外的"
                    "安全处：没有它，备份无法恢复。"
                )
            )
            return
        if not options["out"]:
            raise CommandError(_("请指定备份文件，例如 manage.py backup aidcase-20260501.bak"))
        out = Path(options["out"])
        try:
            summary = backup_write(out=out, key=settings.BACKUP_KEY)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "备份完成：%(name)s，%(size)s；%(tables)s 张表共 %(rows)s 行，"
                "%(files)s 个媒体文件（%(media)s）；用时 %(seconds).1f 秒。"
            )
            % {
                "name": out.name,
                "size": human_size(summary.size),
                "tables": summary.tables,
                "rows": summary.rows,
                "files": summary.media_files,
                "media": human_size(summary.media_bytes),
                "seconds": summary.seconds,
            }
        )
