"""`manage.py seed_demo`: demo schools, accounts and records to try AidCase with."""

import argparse
import secrets
import string
import time
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.utils.translation import gettext as _

from demo.generator import (
    MAX_SCHOOLS,
    MAX_STUDENTS,
    MIN_STUDENTS,
    DemoAccount,
    demo_school_codes,
    demo_seed,
)
from pairing.models import Pairing
from students.models import Student
from visits.models import ActivityLog, Incident

# No look-alike characters: the password is read off a screen and typed on a phone.
PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
PASSWORD_LENGTH = 16


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("“%(value)s”不是整数") % {"value": value}) from None


class Command(BaseCommand):
    help = _(
        "生成演示数据：一个县的若干所农村中学，含教职工账号、学生名册、类别认定、结对、"
        "校历（不计周和考试）、帮扶记录和违纪事件，覆盖本学期和上学期。所有账号使用同一个密码。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schools",
            type=_integer,
            default=1,
            help=_("学校数量（1–%(max)s）") % {"max": MAX_SCHOOLS},
        )
        parser.add_argument(
            "--students-per-school",
            type=_integer,
            default=120,
            help=_("每校学生人数（%(min)s–%(max)s）") % {"min": MIN_STUDENTS, "max": MAX_STUDENTS},
        )
        parser.add_argument(
            "--seed", type=_integer, default=None, help=_("随机种子，相同种子生成相同数据")
        )
        parser.add_argument(
            "--password", default=None, help=_("所有演示账号的密码；不填则随机生成")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed = options["seed"] if options["seed"] is not None else secrets.randbelow(1_000_000)
        password = options["password"]
        if password is None:
            password = "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))
        began = time.monotonic()
        try:
            accounts = demo_seed(
                schools=options["schools"],
                students_per_school=options["students_per_school"],
                seed=seed,
                password=password,
            )
        except ValidationError as error:
            raise CommandError(_("未生成演示数据：") + "；".join(error.messages)) from None
        except IntegrityError as error:
            # Generated 学籍号 or usernames that clash with records made by other means.
            raise CommandError(
                _("未生成演示数据：与已有数据冲突（%(error)s）") % {"error": error}
            ) from None
        codes = demo_school_codes(options["schools"])
        self.stdout.write(
            _(
                "已生成演示数据：%(schools)s 所学校，%(students)s 名学生，%(pairings)s 个结对，"
                "%(logs)s 条帮扶记录，%(incidents)s 起违纪事件"
                "（随机种子 %(seed)s，用时 %(seconds).1f 秒）。"
            )
            % {
                "schools": len(codes),
                "students": Student.objects.filter(school__code__in=codes).count(),
                "pairings": Pairing.objects.filter(school__code__in=codes).count(),
                "logs": ActivityLog.objects.filter(pairing__school__code__in=codes).count(),
                "incidents": Incident.objects.filter(student__school__code__in=codes).count(),
                "seed": seed,
                "seconds": time.monotonic() - began,
            }
        )
        self.stdout.write("")
        self.stdout.write(_table(accounts))
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(_("所有账号的密码：%(password)s") % {"password": password})
        )


def _table(accounts: list[DemoAccount]) -> str:
    header = (_("角色"), _("用户名"), _("姓名"), _("学校"))
    rows = [header, *((a.role, a.username, a.name, a.school) for a in accounts)]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
