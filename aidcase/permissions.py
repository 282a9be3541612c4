"""Roles and the decorators that let a role into a view.

Who may see which record is decided by the selectors (`students_visible_to`, …); this module
only answers "what is this user" and "may this kind of user open this kind of page".
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from aidcase.labels import named
from aidcase.roles import Role

if TYPE_CHECKING:  # the ground floor reads a user's profile; only the types name its app
    from students.models import County, Profile, School

SCHOOL_ROLES = (Role.TEACHER, Role.OFFICE, Role.PRINCIPAL)
SCHOOL_MANAGERS = (Role.OFFICE, Role.PRINCIPAL)


def profile_of(user: Any) -> "Profile | None":
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.profile
    except ObjectDoesNotExist:
        return None


def person_name(user: Any) -> str:
    """How a member of staff is named on pages, sheets and ledgers: their name, else their
    username ("" for nobody)."""
    if user is None:
        return ""
    profile = profile_of(user)
    return profile.name if profile and profile.name else user.username


def person_label(user: Any) -> str:
    """A member of staff with their username (工号), where two may share a name: "王芳（T001）"."""
    if user is None:
        return ""
    return staff_label(person_name(user), user.username)


def staff_label(name: str | None, username: str) -> str:
    """`person_label` from a name (their profile's, if any) and a username."""
    name = name or username
    return named(name, username) if name != username else name


def role_of(user: Any) -> str | None:
    profile = profile_of(user)
    return profile.role if profile else None


def school_id_of(user: Any) -> int | None:
    profile = profile_of(user)
    return profile.school_id if profile else None


class AuthedRequest(HttpRequest):
    """A request that passed `role_required`: the user is logged in."""

    user: User
    htmx: HtmxDetails


def request_profile(request: HttpRequest) -> "Profile":
    profile = profile_of(request.user)
    if profile is None:
        raise PermissionDenied
    return profile


def request_school(request: HttpRequest) -> "School":
    """The school of a logged-in school user; anyone else is refused."""
    school = request_profile(request).school
    if school is None:
        raise PermissionDenied
    return school


def request_county(request: HttpRequest) -> "County":
    county = request_profile(request).county
    if county is None:
        raise PermissionDenied
    return county


def is_office(user: Any) -> bool:
    return role_of(user) == Role.OFFICE


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Logged in and holding one of the roles; anyone else gets 403. Superusers manage data
    through the admin, not through the school pages, so they are not let in here."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
