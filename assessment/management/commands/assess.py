import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from assessment.services import assessment_json
from students.models import School, Semester


def school_and_semester(school_code: str, semester_code: str) -> tuple[School, Semester]:
    """The school and its semester named on the command line (assess, export_sheets), or a
    Chinese message naming what does not exist."""
    school = School.objects.filter(code=school_code).first()
    if school is None:
        raise CommandError(_("学校代码 %(code)s 不存在") % {"code": school_code})
    semester = Semester.objects.filter(school=school, code=semester_code).first()
    if semester is None:
        raise CommandError(
            _("%(school)s 没有学期 %(code)s") % {"school": school.name, "code": semester_code}
        )
    return school, semester


class Command(BaseCommand):
    help = _("计算一所学校一个学期的结对帮扶考核结果（--json 按约定格式输出）。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help=_("学校代码"))
        parser.add_argument("--semester", required=True, help=_("学期代码，如 2025-2026-1"))
        parser.add_argument("--json", action="store_true", help=_("输出 JSON"))

    def handle(self, *args: Any, **options: Any) -> None:
        school, semester = school_and_semester(options["school"], options["semester"])
        result = assessment_json(school=school, semester=semester)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        for teacher in result["teachers"]:
            self.stdout.write(
                _("%(teacher)s：%(points)s 分，%(n)s 个结对")
                % {
                    "teacher": teacher["teacher"],
                    "points": teacher["points"],
                    "n": len(teacher["pairings"]),
                }
            )
