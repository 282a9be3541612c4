"""`manage.py id_key`: checks that the configured AIDCASE_ID_KEY opens every stored ID number
(after a restore, or before rotating servers); `--generate` prints a new key."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from students import fields
from students.models import Student


class Command(BaseCommand):
    help = "检查 AIDCASE_ID_KEY 能否解密已存的身份证号；--generate 生成新密钥"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--generate", action="store_true", help="打印一个新的随机密钥")

    def handle(self, *args: Any, generate: bool = False, **options: Any) -> None:
        if generate:
            self.stdout.write(fields.generate_key())
            return
        table = connection.ops.quote_name(Student._meta.db_table)
        unreadable = 0
        total = 0
        with connection.cursor() as cursor:
            # The raw column: reading through the model would stop at the first bad row.
            cursor.execute(f"SELECT id_number FROM {table} WHERE id_number <> ''")  # noqa: S608
            for (stored,) in cursor.fetchall():
                total += 1
                try:
                    fields.decrypt(stored)
                except fields.UnreadableIdNumber:
                    unreadable += 1
        if unreadable:
            raise CommandError(
                f"有 {unreadable} / {total} 个身份证号无法用当前的 AIDCASE_ID_KEY 解密："
                "请使用加密这些数据时的密钥。"
            )
        self.stdout.write(f"{total} 个身份证号均可用当前密钥解密。")
