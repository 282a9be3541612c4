"""The county administrator's page of the county's schools and their two accounts
(`office-<CODE>`, `principal-<CODE>`): add a school with its accounts, or the county's whole
list of schools from one sheet (学校名单: upload → preview → confirm, as the aid office's
import pages, whose pending-upload store it shares); reset an account's password, deactivate
or reactivate it. The one-time passwords of the accounts just created or reset wait, sealed
in the session, for one download as a workbook (governance.passwords).

Nothing here shows a child: the administrator sees schools and accounts only, and the
county's roll-up like the county bureau."""

import hashlib
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aidcase.audit import access_record
from aidcase.forms import add_service_errors
from aidcase.models import AccessLog
from aidcase.params import query_text
from aidcase.permissions import AuthedRequest, person_label, request_county, role_required
from aidcase.roles import Role
from aidcase.spreadsheets import FileRefused, Plan, workbook_bytes
from aidcase.workbooks import XLSX, ReportColumn, report_sheet, workbook_new, workbook_save
from governance.forms import CountySchoolForm, CountySchoolsUploadForm
from governance.passwords import (
    KEEP_SECONDS,
    PendingPassword,
    passwords_add,
    passwords_take,
    passwords_waiting,
)
from imports.services import import_county_file, sheet_for
from imports.views import (
    UPLOAD_SUFFIX,
    pending_claim,
    pending_file_store,
    pending_file_take,
    pending_remember,
    plan_counts,
    preview_context,
)
from students import services
from students.models import County, Profile, School
from students.selectors import county_schools_with_accounts, school_account_get_for_county

SCHOOLS = "schools"  # the county's kind of imports.services.COUNTY_SHEETS
PENDING = "pending_county_imports"  # session: {token: {kind, county, name, sha256, at}}


@role_required(Role.COUNTY_ADMIN)
@require_GET
def county_schools(request: AuthedRequest) -> HttpResponse:
    county = request_county(request)
    query = query_text(request.GET, "q", max_length=50)
    schools = list(county_schools_with_accounts(county=county, query=query))
    context = {
        "county": county,
        "schools": schools,
        "query": query,
        "total": School.objects.filter(county=county).count() if query else len(schools),
        "waiting": passwords_waiting(request.session, user_pk=request.user.pk),
        "minutes": KEEP_SECONDS // 60,
        "upload_form": CountySchoolsUploadForm(),
    }
    return render(request, "governance/county_schools.html", context)


@role_required(Role.COUNTY_ADMIN)
def county_school_create(request: AuthedRequest) -> HttpResponse:
    county = request_county(request)
    form = CountySchoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            school, accounts = services.county_school_add(
                county=county, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            names = dict(school.staff.values_list("user__username", "name"))
            passwords_add(
                request.session,
                user_pk=request.user.pk,
                rows=(
                    PendingPassword(school.code, school.name, username, role, names[username], pw)
                    for username, role, pw in accounts
                ),
            )
            messages.success(
                request,
                _(
                    "已添加学校 %(code)s %(name)s，并建立资助办账号和校长账号。"
                    "请下载一次性密码表（只能下载一次）。"
                )
                % {"code": school.code, "name": school.name},
            )
            return redirect("county_schools")
    return render(request, "governance/county_school_form.html", {"form": form, "county": county})


@role_required(Role.COUNTY_ADMIN)
def county_schools_import(request: AuthedRequest) -> HttpResponse:
    """The schools sheet uploaded and checked (a dry run): its errors, or a preview whose
    confirmation imports the same bytes, kept meanwhile in the private pending store."""
    county = request_county(request)
    if request.method != "POST":
        return _import_page(request, county, CountySchoolsUploadForm())
    form = CountySchoolsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, county, form)
    upload = form.cleaned_data["file"]
    data = upload.read()
    try:
        plan, _result = import_county_file(
            kind=SCHOOLS,
            file=io.BytesIO(data),
            name=upload.name,
            county_name=county.name,
            by=request.user,
            dry_run=True,
        )
    except FileRefused as error:
        form.add_error("file", str(error))
        return _import_page(request, county, form)
    if plan.errors:
        return _import_errors_page(request, plan)
    token = pending_file_store(data, suffix=UPLOAD_SUFFIX)
    pending_remember(
        request,
        PENDING,
        token,
        {
            "kind": SCHOOLS,
            "county": county.pk,
            "name": upload.name,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    context = {
        **preview_context(plan, token=token, file_name=upload.name),
        "sheet": sheet_for(SCHOOLS),
        "where": county.name,
        "confirm_url": reverse("county_schools_import_confirm"),
        "restart_url": reverse("county_schools_import"),
        "key_header": _("学校代码"),
        "confirm_note": _(
            "每所新学校同时建立资助办账号 office-学校代码 和校长账号 principal-学校代码；"
            "导入后在“学校与账号”页下载它们的一次性密码（只能下载一次）。"
        )
        if plan.count("new")
        else "",
    }
    return render(request, "imports/preview.html", context)


@role_required(Role.COUNTY_ADMIN)
@require_POST
def county_schools_import_confirm(request: AuthedRequest) -> HttpResponse:
    """Imports the previewed sheet into the administrator's county, its rows checked again
    in the transaction that saves them. The new accounts' one-time passwords join those
    waiting for the page's one download."""
    county = request_county(request)
    token = request.POST.get("token", "")
    entry = pending_claim(
        request, PENDING, token, match={"kind": SCHOOLS, "county": county.pk}, suffix=UPLOAD_SUFFIX
    )
    data = pending_file_take(token, suffix=UPLOAD_SUFFIX) if entry else None
    if entry is None or data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        messages.error(request, _("这次导入已确认过或已过期，请重新上传文件。"))
        return redirect("county_schools_import")
    try:
        plan, result = import_county_file(
            kind=SCHOOLS,
            file=io.BytesIO(data),
            name=entry["name"],
            county_name=county.name,
            by=request.user,
        )
    except FileRefused as error:
        messages.error(request, str(error))
        return redirect("county_schools_import")
    if plan.errors:
        # The schools changed since the preview (another import, a school added…).
        return _import_errors_page(request, plan, since_preview=True)
    passwords = result.get("passwords") if isinstance(result, dict) else None
    if passwords:
        passwords_add(
            request.session,
            user_pk=request.user.pk,
            rows=_imported_passwords(county, passwords),
        )
    counts = plan_counts(plan)
    if counts["new"] and counts["changed"]:
        done = _(
            "已导入学校名单：新增 %(new)s 所学校并建立其资助办账号和校长账号，"
            "更新 %(changed)s 所。请下载一次性密码表（只能下载一次）。"
        )
    elif counts["new"]:
        done = _(
            "已导入学校名单：新增 %(new)s 所学校，并建立其资助办账号和校长账号。"
            "请下载一次性密码表（只能下载一次）。"
        )
    elif counts["changed"]:
        done = _("已导入学校名单：更新 %(changed)s 所学校，没有新增学校。")
    else:
        done = _("学校名单与本县现有学校完全相同，没有任何改变。")
    messages.success(request, done % counts)
    return redirect("county_schools")


@role_required(Role.COUNTY_ADMIN)
@require_GET
def county_schools_template(request: AuthedRequest) -> HttpResponse:
    sheet = sheet_for(SCHOOLS)
    data = workbook_bytes(title=str(sheet.title), columns=sheet.columns, notes=sheet.notes)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "schools-template.xlsx")
    return response


@role_required(Role.COUNTY_ADMIN)
@require_POST
def county_account_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    profile = school_account_get_for_county(county=request_county(request), pk=pk)
    password = services.staff_reset_password(profile=profile, by=request.user)
    passwords_add(request.session, user_pk=request.user.pk, rows=[_pending(profile, password)])
    messages.success(
        request,
        _(
            "已重置 %(username)s 的密码，旧密码不再可用。"
            "新的一次性密码在下方的密码表中（只能下载一次），首次登录时须修改。"
        )
        % {"username": profile.user.username},
    )
    return redirect("county_schools")


@role_required(Role.COUNTY_ADMIN)
@require_POST
def county_account_set_active(request: AuthedRequest, pk: int) -> HttpResponse:
    profile = school_account_get_for_county(county=request_county(request), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.staff_set_active(profile=profile, active=active, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if active:
            done = _("已重新启用 %(username)s（%(school)s），可以用原密码登录。")
        else:
            done = _("已停用 %(username)s（%(school)s），该账号不能再登录。")
        messages.success(
            request, done % {"username": profile.user.username, "school": profile.school}
        )
    return redirect("county_schools")


@role_required(Role.COUNTY_ADMIN)
@require_POST
def county_passwords(request: AuthedRequest) -> HttpResponse:
    """The workbook of the one-time passwords waiting, once: they leave the session as it is
    made. The access log notes the download, never a password."""
    county = request_county(request)
    rows = passwords_take(request.session, user_pk=request.user.pk)
    if not rows:
        messages.error(
            request,
            _(
                "一次性密码表已经下载过（或已过期），不能再次下载。"
                "没有拿到密码的账号，请在本页为其重置密码，再下载新的密码表。"
            ),
        )
        return redirect("county_schools")
    now = timezone.localtime()
    workbook = workbook_new()
    report_sheet(
        workbook,
        name=_("一次性密码"),
        title=_("%(county)s 学校账号一次性密码") % {"county": county.name},
        lines=[
            _("导出人：%(who)s　导出时间：%(at)s")
            % {"who": person_label(request.user), "at": now.strftime("%Y-%m-%d %H:%M")},
            _("每个账号首次登录时须修改密码。请把密码分别交给各校，分发后删除本文件。"),
        ],
        columns=[
            ReportColumn(_("学校代码"), 12),
            ReportColumn(_("学校名称"), 24),
            ReportColumn(_("账号"), 22),
            ReportColumn(_("角色"), 12),
            ReportColumn(_("姓名"), 12),
            ReportColumn(_("一次性密码"), 16),
        ],
        rows=((r.school_code, r.school_name, r.username, r.role, r.name, r.password) for r in rows),
    )
    data = workbook_save(workbook, creator=person_label(request.user))
    filename = f"school-accounts-passwords-{now:%Y%m%d-%H%M}.xlsx"
    access_record(user=request.user, action=AccessLog.Action.DOWNLOAD, what=filename)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _pending(profile: Profile, password: str) -> PendingPassword:
    return PendingPassword(
        profile.school.code if profile.school else "",
        profile.school.name if profile.school else "",
        profile.user.username,
        profile.get_role_display(),
        profile.name,
        password,
    )


def _import_page(
    request: AuthedRequest, county: County, form: CountySchoolsUploadForm
) -> HttpResponse:
    context = {"county": county, "sheet": sheet_for(SCHOOLS), "form": form}
    return render(request, "governance/county_schools_import.html", context)


def _import_errors_page(
    request: AuthedRequest, plan: Plan, *, since_preview: bool = False
) -> HttpResponse:
    context = {
        "sheet": sheet_for(SCHOOLS),
        "plan": plan,
        "errors": plan.errors,
        "since_preview": since_preview,
    }
    return render(request, "governance/county_schools_errors.html", context)


def _imported_passwords(
    county: County, passwords: list[tuple[str, str, str]]
) -> list[PendingPassword]:
    """The (username, role, password) rows of the accounts an import made, with their
    school and name for the password workbook, in the import's order."""
    usernames = [username for username, _role, _password in passwords]
    found = {
        username: (code, name, person)
        for username, code, name, person in Profile.objects.filter(
            user__username__in=usernames, school__county=county
        ).values_list("user__username", "school__code", "school__name", "name")
    }
    rows = []
    for username, role, password in passwords:
        code, school_name, person = found[username]
        rows.append(PendingPassword(code, school_name, username, role, person, password))
    return rows
