"""Writes to the audit trail: bulk changes kept in the models' history (single saves are
recorded by django-simple-history's signals), and the access log of what people opened."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connections, models, router
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from aidcase.models import AccessLog
from aidcase.permissions import person_label

if TYPE_CHECKING:  # the ground floor logs reads of the apps' records; only the types name them
    from students.models import School, Student

BATCH = 1000
# How bulk writes are named in the records' history (change reasons are stored as written).
IMPORT_REASON = "导入表格"
RULES_REASON = "保存规则"
COMPUTE_REASON = "计算考核"
ISSUE_REASON = "发放问卷"
# What an account's history names when its password is reset or it is (re)activated: the
# profile's row records who did it, the change itself is on the user.
PASSWORD_RESET_REASON = "重置密码"  # noqa: S105 (a history reason, not a password)
DEACTIVATE_REASON = "停用账号"
REACTIVATE_REASON = "启用账号"
# An import without a user is one made from the command line (the upload page always has one),
# which needs no account of the school: its history names the command line instead.
COMMAND_LINE_IMPORT_REASON = "导入表格（命令行）"


def change_reason(reason: str, *, by: Any) -> str:
    """The history's change reason for a bulk write by `by` (None: a management command)."""
    if by is None and reason == IMPORT_REASON:
        return COMMAND_LINE_IMPORT_REASON
    return reason[:100]


def tracked_bulk_create[M: models.Model](
    model: type[M], objs: Sequence[M], *, by: Any, reason: str, batch_size: int = BATCH
) -> list[M]:
    """bulk_create() that also writes each row's "created" history entry, naming who and why
    (imports, generated rule sets…): bulk writes send no signals, so history would miss them."""
    if not objs:
        return []
    if _copyable(objs):
        created = model._default_manager.bulk_create(list(objs), batch_size=batch_size)
        history_copy(model, [obj.pk for obj in created], kind="+", by=by, reason=reason)
        return created
    return bulk_create_with_history(
        list(objs),
        model,
        batch_size=batch_size,
        default_user=by,
        default_change_reason=change_reason(reason, by=by),
    )


def tracked_bulk_update[M: models.Model](
    model: type[M],
    objs: Sequence[M],
    fields: Sequence[str],
    *,
    by: Any,
    reason: str,
    batch_size: int = BATCH,
) -> None:
    if not objs:
        return
    if _copyable(objs):
        model._default_manager.bulk_update(list(objs), list(fields), batch_size=batch_size)
        history_copy(model, [obj.pk for obj in objs], kind="~", by=by, reason=reason)
        return
    bulk_update_with_history(
        list(objs),
        model,
        list(fields),
        batch_size=batch_size,
        default_user=by,
        default_change_reason=change_reason(reason, by=by),
    )


# Instance attributes through which django-simple-history lets one row name its own history.
_PER_ROW = ("_history_user", "_change_reason", "_history_date")
# Ids per INSERT … SELECT: well inside SQLite's limit on a statement's parameters.
_IDS_PER_COPY = 500


def _copyable(objs: Sequence[models.Model]) -> bool:
    return not any(hasattr(obj, name) for obj in objs for name in _PER_ROW)


def history_copy(
    model: type[models.Model], pks: Sequence[Any], *, kind: str, by: Any, reason: str
) -> None:
    """The history entries of rows just written, as django-simple-history writes them (the
    row's values, when, who, why and how), copied by the database from the rows themselves:
    one INSERT … SELECT per 500 rows instead of a model instance and its conversions per row,
    which cost more than the rows' own write at 10,000 rows."""
    history = model.history.model  # type: ignore[attr-defined]
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    own: dict[str, str] = {f.attname: str(f.column) for f in model._meta.concrete_fields}
    copied = [f for f in history._meta.concrete_fields if f.attname in own]
    extra = {
        "history_date": timezone.now(),
        "history_type": kind,
        "history_user_id": by.pk if by is not None else None,
        "history_change_reason": change_reason(reason, by=by),
    }
    values = [
        history._meta.get_field(
            name if name != "history_user_id" else "history_user"
        ).get_db_prep_save(value, connection)
        for name, value in extra.items()
    ]
    columns = ", ".join([*(quote(str(f.column)) for f in copied), *map(quote, extra)])
    selected = ", ".join([quote(own[f.attname]) for f in copied] + ["%s"] * len(extra))
    pk_column = quote(str(model._meta.pk.column))
    with connection.cursor() as cursor:
        for start in range(0, len(pks), _IDS_PER_COPY):
            chunk = list(pks[start : start + _IDS_PER_COPY])
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "  # noqa: S608 — names are the models' own
                f"SELECT {selected} FROM {quote(model._meta.db_table)} "
                f"WHERE {pk_column} IN ({', '.join(['%s'] * len(chunk))}) "
                f"ORDER BY {pk_column}",
                [*values, *chunk],
            )


def access_record(
    *,
    user: Any,
    action: str,
    school: "School | None" = None,
    student: "Student | None" = None,
    what: str = "",
) -> AccessLog:
    """Notes that `user` opened something: a student's record, an export, a PDF, a download.
    `what` names the thing (a file name, a sheet), never an ID number or a phone number."""
    school_id: int | None
    if school is not None:
        school_id = school.pk
    else:
        school_id = student.school_id if student is not None else None
    return AccessLog.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        user_label=person_label(user)[:80] if user is not None else "",
        action=action,
        school_id=school_id,
        student=student,
        what=what[:200],
    )
