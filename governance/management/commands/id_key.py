"""`manage.py id_key`: checks that the configured AIDCASE_ID_KEY opens every stored ID number
(after a restore, or before rotating servers); `--generate` prints a new key;
`--rotate-from OLD` re-encrypts every stored number, history included, from the old key to the
configured one (students.keys)."""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from students import fields, keys


class Command(BaseCommand):
    help = _(
        "检查 AIDCASE_ID_KEY 能否解密已存的身份证号；--generate 生成新密钥；"
        "--rotate-from 旧密钥 把所有号码（含修改记录）改用当前密钥加密"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--generate", action="store_true", help=_("打印一个新的随机密钥"))
        parser.add_argument(
            "--rotate-from",
            default="",
            metavar="OLD_KEY",
            help=_("旧密钥：把用它加密的号码改用当前的 AIDCASE_ID_KEY 加密，全部成功才生效"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate"]:
            self.stdout.write(fields.generate_key())
            return
        old = options["rotate_from"].strip()
        if old:
            try:
                rotated = keys.id_numbers_rekey(old=old)
            except (keys.RotationRefused, ImproperlyConfigured) as error:
                raise CommandError(str(error)) from None
            self.stdout.write(
                self.style.SUCCESS(
                    _("已用当前密钥重新加密 %(n)d 个身份证号（含修改记录）。") % {"n": rotated}
                )
            )
            return
        readable, unreadable = keys.id_numbers_check()
        total = readable + unreadable
        if unreadable:
            raise CommandError(
                _(
                    "有 %(bad)d / %(total)d 个身份证号（含修改记录中的）无法用当前的 "
                    "AIDCASE_ID_KEY 解密：请使用加密这些数据时的密钥。"
                )
                % {"bad": unreadable, "total": total}
            )
        done = _("%(total)d 个身份证号（含修改记录中的）均可用当前密钥解密。") % {"total": total}
        self.stdout.write(done)
