from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from aidcase.spreadsheets import FileRefused, Plan, workbook_bytes
from imports.services import (
    COUNTY_SHEETS,
    SHEETS,
    UnknownKind,
    import_county_file,
    import_file,
    sheet_for,
)
from students.management.commands.create_school import write_passwords
from students.models import School


class Command(BaseCommand):
    help = _(
        "导入学生、教师、结对、成绩或违纪事件表格（.xlsx 或 .csv），全部正确才导入；"
        "或用 --template 生成空白模板。导入学校名单（schools）时用 --county 指定县（区）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="、".join([*SHEETS, *COUNTY_SHEETS]))
        parser.add_argument("file", nargs="?", help=_("要导入的 .xlsx 或 .csv 文件"))
        parser.add_argument("--school", help=_("学校代码"))
        parser.add_argument("--county", help=_("县（区）名称，仅用于导入学校名单（schools）"))
        parser.add_argument("--semester", help=_("学期代码，如 2025-2026-1"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查，不导入"))
        parser.add_argument("--template", metavar="OUT.xlsx", help=_("生成空白模板"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sheet = sheet_for(options["kind"])
        except UnknownKind as error:
            raise CommandError(str(error)) from None
        if options["template"]:
            out = Path(options["template"])
            try:
                out.write_bytes(
                    workbook_bytes(title=str(sheet.title), columns=sheet.columns, notes=sheet.notes)
                )
            except OSError as error:
                raise CommandError(
                    _("无法写入 %(path)s：%(error)s") % {"path": out, "error": error}
                ) from None
            self.stdout.write(_("已生成模板：%(path)s") % {"path": out})
            return
        if not options["file"]:
            raise CommandError(_("请指定要导入的文件，或用 --template 生成模板"))
        if sheet.kind in COUNTY_SHEETS:
            self._import_county(sheet.kind, options)
            return
        if options["county"]:
            raise CommandError(_("--county 只用于导入学校名单（schools），其他表格请用 --school"))
        if not options["school"]:
            raise CommandError(_("请用 --school 指定学校代码"))
        school = School.objects.filter(code=options["school"]).first()
        if school is None:
            raise CommandError(_("学校代码 %(code)s 不存在") % {"code": options["school"]})
        path = Path(options["file"])
        try:
            plan, result = _read(
                path,
                lambda file: import_file(
                    kind=sheet.kind,
                    file=file,
                    name=path.name,
                    school=school,
                    semester_code=options["semester"],
                    dry_run=options["dry_run"],
                ),
            )
        except ValidationError as error:
            raise CommandError(
                _("学期代码：%(error)s") % {"error": "；".join(error.messages)}
            ) from None
        self._report(plan, dry_run=options["dry_run"])
        if isinstance(result, dict) and result.get("passwords"):
            write_passwords(
                self.stdout.write,
                result["passwords"],
                columns=(_("工号"), _("姓名"), _("一次性密码")),
            )

    def _import_county(self, kind: str, options: dict[str, Any]) -> None:
        """A county's kind: named by --county, never by a school or a semester."""
        if options["school"] or options["semester"]:
            raise CommandError(
                _("导入学校名单时不能使用 --school 或 --semester，请用 --county 指定县（区）名称")
            )
        if not (options["county"] or "").strip():
            raise CommandError(_("请用 --county 指定县（区）名称"))
        path = Path(options["file"])
        plan, result = _read(
            path,
            lambda file: import_county_file(
                kind=kind,
                file=file,
                name=path.name,
                county_name=options["county"],
                dry_run=options["dry_run"],
            ),
        )
        self._report(plan, dry_run=options["dry_run"])
        if isinstance(result, dict) and result.get("passwords"):
            write_passwords(self.stdout.write, result["passwords"])

    def _report(self, plan: Plan, *, dry_run: bool) -> None:
        """How the file was read, then every error (and exit 1) or what the import does."""
        for note in plan.notes:
            self.stdout.write(note)
        if plan.errors:
            for problem in plan.errors:
                self.stderr.write(str(problem))
            raise CommandError(_("共 %(n)s 处错误，未导入任何数据。") % {"n": len(plan.errors)})
        self.stdout.write(plan.summary)
        for created in plan.creates:
            self.stdout.write(_("将新建 %(what)s") % {"what": created})
        if dry_run:
            self.stdout.write(_("检查通过（--dry-run：未导入）。"))
        else:
            self.stdout.write(_("导入完成。"))


def _read(path: Path, run: Callable[[BinaryIO], tuple[Any, Any]]) -> tuple[Any, Any]:
    """Runs an import of the file at `path`, saying in Chinese why a file could not be read."""
    try:
        with path.open("rb") as file:
            return run(file)
    except OSError as error:
        raise CommandError(
            _("无法打开 %(path)s：%(error)s") % {"path": path, "error": error.strerror}
        ) from None
    except FileRefused as error:
        raise CommandError(str(error)) from None
