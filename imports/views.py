"""The aid office's spreadsheet pages: blank templates, exports, and upload → preview →
confirm for the five kinds of `imports.services.SHEETS`.

Between the preview and the confirmation the uploaded bytes wait in private storage
(imports/ of the file storage every web host shares, without a URL), named by a random token
that only the uploader's session knows; the session keeps the token, the kind, the semester
and a SHA-256 of the bytes, never the bytes. Confirming re-runs the whole import on those
bytes, whose rows are checked once more in the transaction that saves them: anything that
changed since the preview is seen.
Tokens last an hour and are used once. One-time passwords of imported teachers wait the same
way, as a ready .xlsx, until the office downloads them once.
"""

import datetime as dt
import hashlib
import io
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aidcase.audit import access_record
from aidcase.models import AccessLog
from aidcase.params import query_match
from aidcase.permissions import AuthedRequest, request_school, role_required
from aidcase.spreadsheets import MAX_BYTES, Column, FileRefused, Plan, workbook_bytes
from aidcase.stored_files import stored_files_older_than
from aidcase.workbooks import XLSX
from imports.services import SHEETS, Sheet, import_file, sheet_for
from students.models import SEMESTER_CODE_RE, Role, School, Semester
from students.selectors import current_semester, semesters_of, students_visible_to

TOKEN_SECONDS = 60 * 60
PREVIEW_ROWS = 200
PENDING = "pending_imports"  # session: {token: {kind, school, semester, name, sha256, at}}
PASSWORDS = "pending_passwords"  # session: {token: {school, at}}
UPLOAD_SUFFIX = ".bin"
PASSWORDS_SUFFIX = ".xlsx"
# Kinds whose export depends on a semester: the roster's categories are identified per
# semester (blank: the current one); scores belong to a semester (blank: all of them).
EXPORT_SEMESTER_BLANK = {
    "students": gettext_lazy("当前学期"),
    "scores": gettext_lazy("全部学期"),
}
PASSWORD_COLUMNS = (
    Column("工号", "username"),
    Column("姓名", "name"),
    Column("一次性密码", "password"),
)


class SpreadsheetUploadForm(forms.Form):
    """A school's (or a county's) spreadsheet, refused past 20 MB before it is read."""

    file = forms.FileField(
        label=gettext_lazy("表格文件"),
        help_text=gettext_lazy(
            "Excel（.xlsx、.xls）、WPS 或 LibreOffice（.ods）表格或 CSV 文件，"
            "不超过 20 MB、10 万行；表头上方的标题行、按年级分开的多个工作表都可以直接导入"
        ),
        widget=forms.FileInput(
            attrs={
                "accept": ".xlsx,.xls,.ods,.csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
                "application/vnd.ms-excel,application/vnd.oasis.opendocument.spreadsheet,text/csv"
            }
        ),
        error_messages={
            "required": gettext_lazy("请选择要导入的文件"),
            "empty": gettext_lazy("文件是空的"),
            "invalid": gettext_lazy("没有收到文件，请重新选择"),
        },
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Checked before anything reads the content.
        if upload.size > MAX_BYTES:
            raise ValidationError(_("文件超过 20 MB，请拆分后再导入"))
        return upload


class UploadForm(SpreadsheetUploadForm):
    semester = forms.ChoiceField(
        label=gettext_lazy("学期"),
        required=False,
        help_text=gettext_lazy("表格中的类别、成绩等按此学期导入；留空为当前学期"),
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("当前学期"))]
        choices += [(s.code, s.label) for s in semesters_of(school=school)]
        cast(forms.ChoiceField, self.fields["semester"]).choices = choices


# Pages


@role_required(Role.OFFICE)
def import_home(request: AuthedRequest) -> HttpResponse:
    school = request_school(request)
    kinds = []
    for kind in SHEETS:
        sheet = sheet_for(kind)
        kinds.append(
            {
                "kind": kind,
                "title": sheet.title,
                "required": [c.header for c in sheet.columns if c.required],
                "semester_blank": EXPORT_SEMESTER_BLANK.get(kind),
                "whole_id_numbers": _IdNumbers(sheet.columns).index is not None,
            }
        )
    context = {"kinds": kinds, "semesters": semesters_of(school=school)}
    return render(request, "imports/home.html", context)


@role_required(Role.OFFICE)
def import_upload(request: AuthedRequest, kind: str) -> HttpResponse:
    school = request_school(request)
    sheet = sheet_for(kind)
    if request.method != "POST":
        form = UploadForm(school=school)
        return _upload_page(request, kind, sheet, form)
    form = UploadForm(request.POST, request.FILES, school=school)
    if not form.is_valid():
        return _upload_page(request, kind, sheet, form)
    upload = form.cleaned_data["file"]
    semester_code = form.cleaned_data["semester"]
    data = upload.read()
    try:
        plan, _result = import_file(
            kind=kind,
            file=io.BytesIO(data),
            name=upload.name,
            school=school,
            semester_code=semester_code or None,
            by=request.user,
            dry_run=True,
        )
    except FileRefused as error:
        form.add_error("file", str(error))
        return _upload_page(request, kind, sheet, form)
    except ValidationError as error:
        form.add_error("semester", error)
        return _upload_page(request, kind, sheet, form)
    if plan.errors:
        return _errors_page(request, kind, sheet, plan, saved_nothing=True)
    token = pending_file_store(data, suffix=UPLOAD_SUFFIX)
    pending_remember(
        request,
        PENDING,
        token,
        {
            "kind": kind,
            "school": school.pk,
            "semester": semester_code,
            "name": upload.name,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    context = {
        **preview_context(plan, token=token, file_name=upload.name),
        "kind": kind,
        "sheet": sheet,
        "where": _semester_label(school, semester_code),
        "confirm_url": reverse("import_confirm", kwargs={"kind": kind}),
        "restart_url": reverse("import_upload", kwargs={"kind": kind}),
    }
    return render(request, "imports/preview.html", context)


def preview_context(plan: Plan, *, token: str, file_name: str) -> dict[str, Any]:
    """What a preview page shows of a plan: its counts and the first rows that change."""
    changes = [change for change in plan.changes if change.action != "unchanged"]
    return {
        "plan": plan,
        "token": token,
        "file_name": file_name,
        "counts": plan_counts(plan),
        "changes": changes[:PREVIEW_ROWS],
        "changes_total": len(changes),
        "changes_cut": len(changes) > PREVIEW_ROWS,
        "preview_rows": PREVIEW_ROWS,
        "minutes": TOKEN_SECONDS // 60,
    }


@role_required(Role.OFFICE)
@require_POST
def import_confirm(request: AuthedRequest, kind: str) -> HttpResponse:
    school = request_school(request)
    sheet = sheet_for(kind)
    token = request.POST.get("token", "")
    entry = _claim(request, PENDING, token, kind=kind, school=school)
    data = pending_file_take(token, suffix=UPLOAD_SUFFIX) if entry else None
    if entry is None or data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        messages.error(request, _("这次导入已确认过或已过期，请重新上传文件。"))
        return redirect("import_upload", kind=kind)
    try:
        plan, result = import_file(
            kind=kind,
            file=io.BytesIO(data),
            name=entry["name"],
            school=school,
            semester_code=entry["semester"] or None,
            by=request.user,
        )
    except (FileRefused, ValidationError) as error:
        text = "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
        return redirect("import_upload", kind=kind)
    if plan.errors:
        # The data changed since the preview (another import, an edit…): nothing was saved.
        return _errors_page(request, kind, sheet, plan, saved_nothing=True, since_preview=True)
    passwords = result.get("passwords") if isinstance(result, dict) else None
    password_token = None
    if passwords:
        workbook = workbook_bytes(
            title=_("一次性密码"), columns=PASSWORD_COLUMNS, rows=passwords, mark_required=False
        )
        password_token = pending_file_store(workbook, suffix=PASSWORDS_SUFFIX)
        pending_remember(request, PASSWORDS, password_token, {"school": school.pk})
    context = {
        "kind": kind,
        "sheet": sheet,
        "plan": plan,
        "counts": plan_counts(plan),
        "password_token": password_token,
        "accounts": len(passwords or ()),
        "minutes": TOKEN_SECONDS // 60,
    }
    return render(request, "imports/done.html", context)


@role_required(Role.OFFICE)
@require_POST
def import_passwords(request: AuthedRequest) -> HttpResponse:
    """The sheet of one-time passwords, once: it is deleted as it is sent."""
    school = request_school(request)
    token = request.POST.get("token", "")
    entry = _claim(request, PASSWORDS, token, school=school)
    data = pending_file_take(token, suffix=PASSWORDS_SUFFIX) if entry else None
    if data is None:
        messages.error(
            request,
            _("一次性密码表已下载过或已过期。如有教师没有拿到密码，请在“教师”页面为其重置密码。"),
        )
        return redirect("import_home")
    filename = f"teachers-passwords-{school.code}-{timezone.localdate()}.xlsx"
    access_record(user=request.user, action=AccessLog.Action.DOWNLOAD, school=school, what=filename)
    return _attachment(data, filename)


@role_required(Role.OFFICE)
def import_template(request: AuthedRequest, kind: str) -> HttpResponse:
    sheet = sheet_for(kind)
    data = workbook_bytes(title=str(sheet.title), columns=sheet.columns, notes=sheet.notes)
    return _attachment(data, f"{kind}-template.xlsx")


@role_required(Role.OFFICE)
def import_export(request: AuthedRequest, kind: str) -> HttpResponse:
    """The kind's records of the office's school, with the import's headers (unmarked), so
    that importing the file again changes nothing. The roster keeps whole ID numbers for
    that round trip (a masked number would replace the stored one): such an export is a
    reveal, logged as one with the number of ID numbers it carries."""
    school = request_school(request)
    sheet = sheet_for(kind)
    code = query_match(request.GET, "semester", SEMESTER_CODE_RE) or ""
    semester = _export_semester(school, kind, code)
    now = timezone.localtime()
    provenance = _("由 %(user)s 于 %(time)s 导出（%(school)s）") % {
        "user": request.user.get_username(),
        "time": now.strftime("%Y-%m-%d %H:%M"),
        "school": school.name,
    }
    id_numbers = _IdNumbers(sheet.columns)
    data = workbook_bytes(
        title=str(sheet.title),
        columns=sheet.columns,
        rows=id_numbers.counted(
            _export_rows(request, kind, sheet, school=school, semester=semester)
        ),
        notes=provenance,
        mark_required=False,
    )
    filename = f"{kind}-{school.code}-{now.date()}.xlsx"
    action, what = AccessLog.Action.EXPORT, filename
    if id_numbers.count:
        action = AccessLog.Action.ID_EXPORT
        what = _("含 %(count)s 个完整身份证号：%(file)s") % {
            "count": id_numbers.count,
            "file": filename,
        }
    access_record(user=request.user, action=action, school=school, what=what)
    return _attachment(data, filename)


# Helpers of the pages


class _IdNumbers:
    """Counts the whole ID numbers of an export's rows as they stream into the workbook."""

    def __init__(self, columns: Sequence[Column]) -> None:
        keys = [column.key for column in columns]
        self.index = keys.index("id_number") if "id_number" in keys else None
        self.count = 0

    def counted(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for row in rows:
            if self.index is not None and row[self.index]:
                self.count += 1
            yield row


def _upload_page(request: AuthedRequest, kind: str, sheet: Sheet, form: UploadForm) -> HttpResponse:
    context = {"kind": kind, "sheet": sheet, "form": form}
    return render(request, "imports/upload.html", context)


def _errors_page(
    request: AuthedRequest,
    kind: str,
    sheet: Sheet,
    plan: Plan,
    *,
    saved_nothing: bool,
    since_preview: bool = False,
) -> HttpResponse:
    context = {
        "kind": kind,
        "sheet": sheet,
        "plan": plan,
        "errors": plan.errors,
        "saved_nothing": saved_nothing,
        "since_preview": since_preview,
    }
    return render(request, "imports/errors.html", context)


def plan_counts(plan: Plan) -> dict[str, int]:
    return {action: plan.count(action) for action in ("new", "changed", "unchanged")}


def _semester_label(school: School, code: str) -> str:
    if not code:
        return _("当前学期")
    semester = semesters_of(school=school).filter(code=code).first()
    return semester.label if semester else code


def _export_semester(school: School, kind: str, code: str) -> Semester | None:
    if kind not in EXPORT_SEMESTER_BLANK:
        return None
    if not code:
        return current_semester(school=school) if kind == "students" else None
    semester = semesters_of(school=school).filter(code=code).first()
    if semester is None:
        raise Http404
    return semester


def _export_rows(
    request: AuthedRequest, kind: str, sheet: Sheet, *, school: School, semester: Semester | None
) -> Iterable[Sequence[Any]]:
    # Each kind's export takes what scopes it; the signatures differ, so no common protocol.
    exporter: Any = sheet
    if kind == "students":
        students = (
            students_visible_to(user=request.user)
            .select_related("cohort", "school_class")
            .order_by("-cohort__entry_year", "school_class__name", "student_no")
        )
        return exporter.export_rows(students=students, semester=semester)
    if kind == "scores":
        return exporter.export_rows(school=school, semester=semester)
    return exporter.export_rows(school=school)


def _attachment(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# Files waiting for a confirmation or a download


PENDING_DIR = "imports"


def pending_file_store(data: bytes, *, suffix: str) -> str:
    """Stores the bytes privately (the file storage every web host shares) and returns their
    token."""
    pending_files_sweep()
    token = secrets.token_urlsafe(32)
    storages["default"].save(f"{PENDING_DIR}/{token}{suffix}", ContentFile(data))
    return token


def pending_file_take(token: str, *, suffix: str) -> bytes | None:
    """The stored bytes, deleted as they are read: a token works once."""
    storage = storages["default"]
    name = f"{PENDING_DIR}/{token}{suffix}"
    try:
        with storage.open(name, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None
    storage.delete(name)
    return data


def pending_files_sweep(*, dry_run: bool = False) -> int:
    """Deletes what was never confirmed or downloaded, once its token has expired; how many
    files that was (or would be)."""
    expired = timezone.now() - dt.timedelta(seconds=TOKEN_SECONDS)
    names = stored_files_older_than(PENDING_DIR, expired)
    if not dry_run:
        storage = storages["default"]
        for name in names:
            storage.delete(name)  # one another request swept first is simply not there
    return len(names)


def pending_remember(request: AuthedRequest, key: str, token: str, entry: dict[str, Any]) -> None:
    now = time.time()
    pending = {
        t: e for t, e in request.session.get(key, {}).items() if e["at"] > now - TOKEN_SECONDS
    }
    pending[token] = {**entry, "at": now}
    request.session[key] = pending


def pending_claim(
    request: AuthedRequest, key: str, token: str, *, match: dict[str, Any], suffix: str
) -> dict[str, Any] | None:
    """The session's entry for the token, removed from the session; None when this session
    holds no such token, or it expired (its file, named with `suffix`, is deleted then), or
    it differs from `match` (another kind, school or county)."""
    pending: dict[str, Any] = request.session.get(key, {})
    entry = pending.get(token)
    if entry is None or any(entry.get(name) != value for name, value in match.items()):
        return None
    del pending[token]
    request.session[key] = pending
    if entry["at"] < time.time() - TOKEN_SECONDS:
        pending_file_take(token, suffix=suffix)
        return None
    return cast(dict[str, Any], entry)


def _claim(
    request: AuthedRequest, key: str, token: str, *, school: School, kind: str | None = None
) -> dict[str, Any] | None:
    """The school's entry for the token (of the kind, when given): see `pending_claim`."""
    match: dict[str, Any] = {"school": school.pk} | ({"kind": kind} if kind else {})
    suffix = PASSWORDS_SUFFIX if key == PASSWORDS else UPLOAD_SUFFIX
    return pending_claim(request, key, token, match=match, suffix=suffix)
