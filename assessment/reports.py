"""The printed assessment: a teacher's sheet as PDF (教师结对帮扶学期考核表), every sheet of a
semester as a ZIP of PDFs, and the school's summary (考核汇总) as an Excel workbook.

Everything is read from the stored sheets (`Sheet.content` and the workflow fields), never
from the live records: an approved sheet prints the same whatever was edited since. The
output is Chinese whatever the reader's interface language, because it is signed and filed
on paper.
"""

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, BinaryIO

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from aidcase.labels import named
from aidcase.pdf import html_to_pdf
from aidcase.permissions import person_name
from aidcase.workbooks import BOLD, TITLE, row_append, sheet_add, workbook_new, workbook_save
from assessment.models import QUESTIONS, REASON_LABELS, STATUS_LABELS, Sheet
from students.models import CATEGORY_SHORT_LABELS, School, Semester

TEMPLATE = "assessment/pdf/sheet.html"
LANGUAGE = "zh-hans"


# ---------------------------------------------------------------------------------------
# Wording shared by the PDF and the workbook


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _category(code: str) -> str:
    label = CATEGORY_SHORT_LABELS.get(code)  # type: ignore[call-overload]
    return str(label) if label else code


def reason_texts(line: dict[str, Any]) -> list[str]:
    """A pairing's reasons in words; low progress says by how much, since "below the
    threshold" alone sends the reader back to the scores."""
    texts = []
    for code in line["reasons"]:
        if code == "low_progress" and line.get("ratio"):
            texts.append(
                _("进步比例 %(ratio)s，低于标准 %(threshold)s")
                % {"ratio": line["ratio"], "threshold": line["threshold"]}
            )
        else:
            texts.append(str(REASON_LABELS.get(code, code)))
    return texts


def _state(sheet: Sheet) -> str:
    return str(Sheet.State(sheet.state).label)


def _marker(sheet: Sheet) -> str:
    """The warning a sheet carries on every page until it is approved: a draft or a sheet
    awaiting approval must not pass for the signed record."""
    if sheet.state == Sheet.State.DRAFT:
        return _("草稿（未审批）")
    if sheet.state == Sheet.State.SUBMITTED:
        return _("待审批")
    return ""


def _percent(met: int, due: int) -> str:
    """Whole percent, rounded half up like every other figure of the sheet."""
    if not due:
        return ""
    return f"{(Decimal(100 * met) / due).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def _teacher(sheet: Sheet) -> dict[str, str]:
    """The teacher as the sheet recorded them; the live profile only fills a gap."""
    recorded = sheet.content.get("teacher", {})
    return {
        "username": recorded.get("username") or sheet.teacher.username,
        "name": recorded.get("name") or person_name(sheet.teacher),
    }


# ---------------------------------------------------------------------------------------
# The PDF sheet


def _css_string(text: str) -> str:
    """A CSS string literal. Every character that could end the string, the rule or the
    <style> element is written as a hex escape."""
    escaped = "".join(
        f"\\{ord(c):x} " if c in "\\\"'<>&" or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text
    )
    return f'"{escaped}"'


def _page_numbers_css() -> str:
    """`content` for "第 N 页 / 共 M 页": the translated words around CSS page counters."""
    template = _("第 %(page)s 页 / 共 %(pages)s 页")
    before, rest = template.split("%(page)s", 1)
    middle, after = rest.split("%(pages)s", 1)
    words = [_css_string(part) for part in (before, middle, after)]
    return f"{words[0]} counter(page) {words[1]} counter(pages) {words[2]}"


def _ratio(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "value": line["ratio"],
        "threshold": line["threshold"],
        "score_now": line["score_now"],
        "average_now": line["average_now"],
        "score_before": line["score_before"],
        "average_before": line["average_before"],
        "low": "low_progress" in line["reasons"],
    }


def _pairing(line: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "number": number,
        "student_name": line["student_name"],
        "student_no": line["student_no"],
        "id_number": line["id_number"],
        "class_name": line["class_name"],
        "category": _category(line["category"]),
        "subject": line["subject"],
        "duties": line["duties"],
        "duty_met": line["duty_met"],
        "duty_due": line["duty_due"],
        "duty_percent": _percent(line["duty_met"], line["duty_due"]),
        "ratio": _ratio(line),
        "incidents": line["incidents"],
        "status": line["status"],
        "status_label": str(STATUS_LABELS.get(line["status"], line["status"])),
        "reasons": reason_texts(line),
        "points": line["points"],
    }


def _sheet_context(*, sheet: Sheet, exported_by: str, at: dt.datetime) -> dict[str, Any]:
    content = sheet.content
    questionnaire = content["questionnaire"]
    totals = content["totals"]
    footer = _("导出：%(who)s　%(when)s") % {"who": exported_by, "when": _when(at)}
    marker = _marker(sheet)
    title = _("教师结对帮扶学期考核表")
    teacher = _teacher(sheet)
    # A loose page still says whose sheet it is.
    running_title = f"{title}　{named(teacher['name'], teacher['username'])}"
    return {
        "title": title,
        "school": sheet.school.name,
        "semester": sheet.semester.label,
        "teacher": teacher,
        "state": _state(sheet),
        "marker": marker,
        "computed_at": _when(sheet.computed_at),
        "pairings": [_pairing(line, n) for n, line in enumerate(content["pairings"], start=1)],
        "totals": {**totals, "duty_percent": _percent(totals["duty_met"], totals["duty_due"])},
        "questionnaire": {
            **questionnaire,
            "questions": [
                {"number": n, "text": str(text), "mean": mean}
                for n, (text, mean) in enumerate(
                    zip(QUESTIONS, questionnaire["means"], strict=True), start=1
                )
            ],
        },
        "office": {
            "comment": sheet.office_comment,
            "by": person_name(sheet.submitted_by),
            "at": _when(sheet.submitted_at),
        },
        "principal": {
            "comment": sheet.principal_comment,
            "by": person_name(sheet.approved_by),
            "at": _when(sheet.approved_at),
        },
        # Margin boxes take their text from CSS only; these are escaped for it.
        "title_css": mark_safe(_css_string(running_title)),  # noqa: S308
        "footer_css": mark_safe(_css_string(footer)),  # noqa: S308
        "pages_css": mark_safe(_page_numbers_css()),  # noqa: S308
        "marker_css": mark_safe(_css_string(marker)) if marker else "",  # noqa: S308
    }


def sheet_pdf(*, sheet: Sheet, exported_by: str, at: dt.datetime | None = None) -> bytes:
    """The sheet as an A4 PDF in Chinese, from its stored content; `exported_by` and `at`
    (default: now) are printed in the footer of every page."""
    with translation.override(LANGUAGE):
        context = _sheet_context(sheet=sheet, exported_by=exported_by, at=at or timezone.now())
        html = render_to_string(TEMPLATE, context)
    return html_to_pdf(html)


UNSAFE = re.compile(r"[^\w-]+")


def sheet_filename(sheet: Sheet) -> str:
    """2026-2027-1_T001_张三.pdf: what a teacher's PDF is saved as. Letters (Chinese too),
    digits, "-" and "_" only, so that any file system and ZIP tool takes it."""
    teacher = _teacher(sheet)
    parts = [sheet.semester.code, teacher["username"], teacher["name"]]
    safe = [UNSAFE.sub("_", part).strip("_") for part in parts]
    return "_".join(part for part in safe if part) + ".pdf"


def write_sheets_zip(
    *,
    sheets: Iterable[Sheet],
    exported_by: str,
    out: BinaryIO,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Writes a ZIP of one PDF per sheet to `out`, calling `on_progress(done)` after each
    (a page polls it); returns the number of PDFs. All carry the same export time."""
    at = timezone.now()
    done = 0
    names: set[str] = set()
    # PDF streams are compressed already: storing them saves the time of deflating again.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for sheet in sheets:
            name = sheet_filename(sheet)
            # Usernames that differ only in characters the file name replaces.
            if name in names:
                name = f"{name.removesuffix('.pdf')}_{sheet.pk}.pdf"
            names.add(name)
            archive.writestr(name, sheet_pdf(sheet=sheet, exported_by=exported_by, at=at))
            done += 1
            if on_progress is not None:
                on_progress(done)
    return done


# ---------------------------------------------------------------------------------------
# The Excel summary


def _headed_sheet(
    workbook: Workbook,
    *,
    name: str,
    title: str,
    about: list[tuple[str, str]],
    columns: list[str],
    widths: list[int],
) -> WriteOnlyWorksheet:
    """A sheet with the title, the lines about the export and the centred bold header row,
    frozen below it."""
    header_row = len(about) + 3
    sheet = sheet_add(workbook, title=name, widths=widths, freeze=f"A{header_row + 1}")
    row_append(sheet, [title], font=TITLE)
    for label, value in about:
        row_append(sheet, [label, value])
    sheet.append([])
    row_append(sheet, columns, font=BOLD, alignment=Alignment(horizontal="center"))
    return sheet


def _mean(value: str | None) -> Decimal | None:
    return Decimal(value) if value else None


def _rate(met: int, due: int) -> Decimal | None:
    return Decimal(met) / due if due else None


def summary_xlsx(
    *, school: School, semester: Semester, sheets: Iterable[Sheet], exported_by: str
) -> bytes:
    """The school's assessment summary (考核汇总) from the stored sheets: 汇总, one row per
    teacher and a totals row; 明细, one row per pairing. No ID numbers: the workbook is
    passed around more freely than the signed sheets."""
    sheets = list(sheets)
    with translation.override(LANGUAGE):
        about = [
            (_("学校"), school.name),
            (_("学期"), f"{semester.label}（{semester.code}）"),
            (_("导出人"), exported_by),
            (_("导出时间"), _when(timezone.now())),
        ]
        workbook = workbook_new()
        _fill_summary(workbook, sheets=sheets, about=about)
        _fill_details(workbook, sheets=sheets, about=about)
    return workbook_save(workbook, creator=exported_by)


SUMMARY_FORMATS = ["", "", "", "", "", "", "", "0.0%", "0.00", ""]
DETAIL_FORMATS = ["", "", "", "", "", "", "0.0000", "", "", ""]


def _fill_summary(workbook: Workbook, *, sheets: list[Sheet], about: list[tuple[str, str]]) -> None:
    columns = [
        _("工号"),
        _("姓名"),
        _("结对数"),
        _("有效"),
        _("无效"),
        _("待补数据"),
        _("得分"),
        _("帮扶记录完成率"),
        _("问卷均分"),
        _("状态"),
    ]
    sheet = _headed_sheet(
        workbook,
        name=_("汇总"),
        title=_("结对帮扶学期考核汇总"),
        about=about,
        columns=columns,
        widths=[14, 12, 8, 8, 8, 10, 8, 16, 10, 10],
    )
    sums = dict.fromkeys(("pairings", "effective", "ineffective", "incomplete", "points"), 0)
    met = due = 0
    for record in sheets:
        totals = record.content["totals"]
        teacher = _teacher(record)
        row = [
            teacher["username"],
            teacher["name"],
            totals["pairings"],
            record.effective,
            record.ineffective,
            record.incomplete,
            record.points,
            _rate(totals["duty_met"], totals["duty_due"]),
            _mean(record.content["questionnaire"]["overall"]),
            _state(record),
        ]
        row_append(sheet, row, number_formats=SUMMARY_FORMATS)
        sums["pairings"] += totals["pairings"]
        sums["effective"] += record.effective
        sums["ineffective"] += record.ineffective
        sums["incomplete"] += record.incomplete
        sums["points"] += record.points
        met += totals["duty_met"]
        due += totals["duty_due"]
    # Plain numbers rather than formulas: readers that do not calculate (previews, phones,
    # scripts) show the totals too.
    row_append(
        sheet,
        [
            _("合计"),
            _("%(n)s 名教师") % {"n": len(sheets)},
            sums["pairings"],
            sums["effective"],
            sums["ineffective"],
            sums["incomplete"],
            sums["points"],
            _rate(met, due),
            None,
            None,
        ],
        font=BOLD,
        number_formats=SUMMARY_FORMATS,
    )


def _fill_details(workbook: Workbook, *, sheets: list[Sheet], about: list[tuple[str, str]]) -> None:
    columns = [
        _("工号"),
        _("教师"),
        _("学籍号"),
        _("学生"),
        _("类别"),
        _("学科"),
        _("进步比例"),
        _("状态"),
        _("原因"),
        _("得分"),
    ]
    sheet = _headed_sheet(
        workbook,
        name=_("明细"),
        title=_("结对帮扶学期考核明细"),
        about=about,
        columns=columns,
        widths=[14, 10, 18, 10, 8, 8, 10, 10, 40, 8],
    )
    for record in sheets:
        teacher = _teacher(record)
        for line in record.content["pairings"]:
            row_append(
                sheet,
                [
                    teacher["username"],
                    teacher["name"],
                    line["student_no"],
                    line["student_name"],
                    _category(line["category"]),
                    line["subject"] or None,
                    Decimal(line["ratio"]) if line["ratio"] else None,
                    str(STATUS_LABELS.get(line["status"], line["status"])),
                    _("；").join(reason_texts(line)) or None,
                    line["points"],
                ],
                number_formats=DETAIL_FORMATS,
            )
