"""The aid office's page of locked accounts (登录锁定): its own school's staff only."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidcase.permissions import AuthedRequest, person_label, request_school, role_required
from aidcase.security import (
    account_unlock,
    lockouts_of,
    unlockable_user_get_for_office,
)
from students.models import Role


@role_required(Role.OFFICE)
def lockout_list(request: AuthedRequest) -> HttpResponse:
    context = {
        "lockouts": lockouts_of(school=request_school(request)),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "aidcase/lockouts.html", context)


@role_required(Role.OFFICE)
@require_POST
def lockout_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    user = unlockable_user_get_for_office(user=request.user, pk=pk)
    if account_unlock(user=user, by=request.user):
        messages.success(request, _("已解锁 %(name)s，可以重新登录") % {"name": person_label(user)})
    else:
        messages.info(request, _("%(name)s 当前没有被锁定") % {"name": person_label(user)})
    return redirect("lockout_list")
