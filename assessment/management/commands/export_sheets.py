from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from assessment.management.commands.assess import school_and_semester
from assessment.reports import sheet_filename, sheet_pdf
from assessment.selectors import sheets_of
from assessment.services import sheets_compute


class Command(BaseCommand):
    help = _(
        "计算一所学校一个学期的考核表，并把每位教师的考核表导出为 PDF（已审批的按审批时的内容）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help=_("学校代码"))
        parser.add_argument("--semester", required=True, help=_("学期代码，如 2025-2026-1"))
        parser.add_argument("--out", required=True, help=_("保存 PDF 的文件夹（不存在时自动创建）"))

    def handle(self, *args: Any, **options: Any) -> None:
        school, semester = school_and_semester(options["school"], options["semester"])
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(_("%(path)s 已存在且不是文件夹") % {"path": out})
        # Before computing: a folder that cannot be made leaves the sheets untouched too.
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(
                _("无法创建文件夹 %(path)s：%(error)s") % {"path": out, "error": error.strerror}
            ) from error

        sheets_compute(school=school, semester=semester, by=None)
        # Read back with everything the sheet prints, rather than a query per sheet for each.
        sheets = sheets_of(school=school, semester=semester).select_related(
            "school", "semester", "submitted_by__profile", "approved_by__profile"
        )
        exported_by = _("命令行导出")
        count = 0
        for sheet in sheets:
            name = sheet_filename(sheet)
            (out / name).write_bytes(sheet_pdf(sheet=sheet, exported_by=exported_by))
            count += 1
            if options["verbosity"] > 1:
                self.stdout.write(name)
        self.stdout.write(
            _("已导出 %(count)s 份考核表 PDF 到 %(path)s") % {"count": count, "path": out}
        )
