"""The ID-number key over the stored data: checking that the configured key opens every
number, and rotating to a new key (students.fields holds the cipher itself).

Both read the raw columns of the students table and of its history: through the model, the
first number that does not open would stop the read."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils.translation import gettext as _

from students import fields
from students.models import Student


class RotationRefused(Exception):
    """The rotation cannot be done; nothing was changed."""


def _tables() -> list[tuple[str, str]]:
    """The tables holding numbers, each with its key column (the history's is history_id)."""
    return [(Student._meta.db_table, "id"), (Student.history.model._meta.db_table, "history_id")]


def _stored(table: str, key: str) -> list[tuple[int, str]]:
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {key}, id_number FROM {quoted} WHERE id_number <> '' ORDER BY {key}"  # noqa: S608
        )
        return list(cursor.fetchall())


def id_numbers_check() -> tuple[int, int]:
    """How many stored numbers (history included) the configured key opens, and how many
    it does not."""
    readable = unreadable = 0
    for table, key in _tables():
        for _pk, stored in _stored(table, key):
            try:
                fields.decrypt(stored)
            except fields.UnreadableIdNumber:
                unreadable += 1
            else:
                readable += 1
    return readable, unreadable


@transaction.atomic
def id_numbers_rekey(*, old: str) -> int:
    """Re-encrypts every stored number, history included, from the `old` key to the
    configured one, with new lookup hashes; how many. All or nothing: a number that the old
    key does not open stops it before anything is written."""
    try:
        fields.check_key(old)
    except ImproperlyConfigured:
        raise RotationRefused(_("旧密钥格式不对：应为 32 字节的 urlsafe base64。")) from None
    if old == settings.ID_NUMBER_KEY:
        raise RotationRefused(_("旧密钥与当前的 AIDCASE_ID_KEY 相同，无需轮换。"))
    updates: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    unreadable = 0
    for table, key in _tables():
        rows = updates.setdefault((table, key), [])
        for pk, stored in _stored(table, key):
            try:
                number = fields.decrypt(stored, master=old)
            except fields.UnreadableIdNumber:
                unreadable += 1
                continue
            rows.append((fields.encrypt(number), fields.lookup_hash(number), pk))
    if unreadable:
        raise RotationRefused(
            _("有 %(n)d 个身份证号无法用旧密钥解密，未做任何更改。请确认旧密钥。")
            % {"n": unreadable}
        )
    for (table, key), rows in updates.items():
        quoted = connection.ops.quote_name(table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quoted} SET id_number = %s, id_number_hash = %s WHERE {key} = %s",  # noqa: S608
                rows,
            )
    return sum(len(rows) for rows in updates.values())
