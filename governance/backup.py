"""Encrypted backups of the whole database and of MEDIA_ROOT in one file, and their restore.

The file (format version 1, governance.backup_file) is
    header  = b"AIDCBKP" | version (1 byte) | salt (16 bytes) | key check (16 bytes)
    chunk*  = ciphertext length (4 bytes, big-endian) | AES-256-GCM ciphertext and tag
The key of the file is derived from AIDCASE_BACKUP_KEY and the salt (HKDF-SHA256), so that no
two files share a key and a chunk's nonce can simply be its index. Every chunk's associated data
is the header, the chunk's index and whether it is the last chunk: a changed header, reordered,
missing or cut-off chunks and a file cut at a chunk boundary all fail authentication. The key
check (another HKDF output) tells a wrong key from a damaged file.

The plaintext is a tar stream:
    data/NNN-<app.Model>/NNNNN.jsonl.gz  the rows of one table, in parts of a few MB: one JSON
                                         array of field values per line, in the manifest's
                                         field order, primary keys included
    media/<path>                         every file under MEDIA_ROOT
    manifest.json                        format, creation time, applied migrations per app,
                                         per table its fields, row count and parts, per media
                                         file its size and sha256
Every model of every installed app is included (apps.get_models(include_auto_created=True)), so
models added later need no change here; only sessions are left out (a restore logs everyone out
instead). Values go through the model fields (value_from_object / to_python), which keeps
datetimes to the microsecond and decimals, JSON and binary exact, and leaves field-level
encryption (students.fields) to the fields, except that ID numbers stay sealed with
AIDCASE_ID_KEY inside the backup too: the backup key alone opens none of them, and a restore
needs the server's ID-number key.

A restore reads the file twice: first to authenticate all of it, check the manifest and put the
media files in a staging folder beside MEDIA_ROOT; then, in one transaction, to load the rows.
The media files move in only after the commit; any failure before leaves the database and
MEDIA_ROOT as they were.

"MEDIA_ROOT" here is the folder of the file storage (storages["default"], a FileSystemStorage,
which may be a mount shared by several hosts). A storage that is not a folder of this host (a
bucket, DJANGO_STORAGE=s3) is refused with a clear message, before anything is written or
changed: its files are kept by the storage's own means (versioning, replication).
"""

import datetime as dt
import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.backup_file import (
    FORMAT_VERSION,
    BackupError,
    DecryptingReader,
    EncryptingWriter,
    HashingReader,
    damaged,
    key_bytes,
)
from students import fields as id_numbers
from students.fields import EncryptedIdNumberField

# Rows are buffered per part before compression: memory stays bounded for any table size.
PART_BYTES = 4 * 1024 * 1024
READ_BATCH = 2000
INSERT_BATCH = 1000
COPY_BYTES = 1024 * 1024

# Left out of backups; their tables are emptied by a restore all the same. Both only matter
# while people are using the site: sessions (a restore logs everyone out) and the keys of forms
# just sent (aidcase.submissions).
SKIPPED_MODELS = frozenset({"sessions.Session", "aidcase.FormSubmission"})
# What `migrate` itself writes into an empty database: a restore replaces it with the backup's
# rows (same primary keys) rather than counting it as data in the way.
MIGRATE_FILLED_MODELS = frozenset({"contenttypes.ContentType", "auth.Permission"})
STAGING_PREFIX = ".aidcase-restore-"


@dataclass(frozen=True)
class BackupSummary:
    tables: int
    rows: int
    media_files: int
    media_bytes: int
    size: int
    seconds: float


@dataclass(frozen=True)
class RestoreSummary:
    created_at: str
    tables: int
    rows: int
    media_files: int
    media_bytes: int
    seconds: float


# --- what is backed up ----------------------------------------------------------------------


def backed_up_models() -> list[type[models.Model]]:
    """Every model with a table of its own, in an order where a model comes after the models
    its foreign keys point to (the constraints are deferred anyway; the order keeps a restore
    sensible on any backend)."""
    candidates: dict[str, type[models.Model]] = {}
    tables: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label in SKIPPED_MODELS:
            continue
        if meta.db_table in tables:
            continue
        tables.add(meta.db_table)
        candidates[meta.label] = model
    ordered: list[type[models.Model]] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(model: type[models.Model]) -> None:
        label = model._meta.label
        if label in placed or label in visiting:
            return  # placed already, or a cycle: the deferred constraints cope
        visiting.add(label)
        for field in model._meta.local_concrete_fields:
            target = field.related_model if field.is_relation else None
            if isinstance(target, type) and target._meta.label in candidates:
                place(candidates[target._meta.label])
        visiting.discard(label)
        placed.add(label)
        ordered.append(model)

    for label in sorted(candidates):
        place(candidates[label])
    return ordered


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        field
        for field in model._meta.local_concrete_fields
        if not getattr(field, "generated", False)
    ]


def value_dump(field: models.Field[Any, Any], obj: models.Model) -> Any:
    """A field's value as JSON, exactly: datetimes keep their microseconds (Django's JSON
    encoder drops them), decimals their digits, binary data goes as base64."""
    value = field.value_from_object(obj)
    if isinstance(field, EncryptedIdNumberField):
        # Sealed with the ID-number key as in the database: the backup key alone opens no
        # ID number.
        return id_numbers.encrypt(value)
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(value, str | bool | int | float):
        return value
    return field.value_to_string(obj)


def value_load(field: models.Field[Any, Any], value: Any) -> Any:
    if isinstance(field, EncryptedIdNumberField):
        return id_numbers.decrypt(value)
    if value is None or isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


def migration_state(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    """The applied migrations of each installed app, by name, in order."""
    installed = {config.label for config in apps.get_app_configs()}
    state: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        if app_label in installed:
            state.setdefault(app_label, []).append(name)
    return state


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Regular files under root, by relative POSIX path, in a stable order. Symbolic links
    are not followed: what they point to is not the application's."""
    if not root.is_dir():
        return
    for directory, subdirectories, files in os.walk(root):
        subdirectories.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def storage_folder() -> Path:
    """The folder of the file storage, which backups read and restores fill. Raises
    BackupError for a storage that is not a folder of this host."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise BackupError(
            _(
                "文件存储不是本机目录（%(backend)s），backup/restore 只支持文件系统存储，"
                "未做任何更改。请用存储服务自身的手段（版本保留、跨区复制）保存照片和文件，"
                "用 PostgreSQL 的 pg_dump 备份数据库。"
            )
            % {"backend": type(storage).__name__}
        )
    return Path(storage.location)


def _is_inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


# --- backup ---------------------------------------------------------------------------------


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _write_table(
    tar: tarfile.TarFile, model: type[models.Model], number: int, using: str
) -> dict[str, Any]:
    fields = _fields(model)
    label = model._meta.label
    parts: list[str] = []
    rows = 0
    buffer = io.BytesIO()

    def flush() -> None:
        name = f"data/{number:03d}-{label}/{len(parts):05d}.jsonl.gz"
        _add_member(tar, name, gzip.compress(buffer.getvalue(), compresslevel=6, mtime=0))
        parts.append(name)
        buffer.seek(0)
        buffer.truncate()

    queryset = model._base_manager.using(using).order_by("pk")

    def batches() -> Iterator[list[models.Model]]:
        # Pages by primary key rather than QuerySet.iterator(): on PostgreSQL that holds a
        # server-side cursor, which an early stop would leave to be closed by the garbage
        # collector, inside whatever transaction runs then.
        batch = list(queryset[:READ_BATCH])
        while batch:
            yield batch
            batch = list(queryset.filter(pk__gt=batch[-1].pk)[:READ_BATCH])

    try:
        for batch in batches():
            for obj in batch:
                line = json.dumps(
                    [value_dump(field, obj) for field in fields],
                    ensure_ascii=False,
                    allow_nan=True,
                )
                buffer.write(line.encode())
                buffer.write(b"\n")
                rows += 1
                if buffer.tell() >= PART_BYTES:
                    flush()
    # Whatever fails while reading (the database, a field that cannot open its value, such as
    # an ID number under another AIDCASE_ID_KEY), the operator needs the table, not the row.
    except Exception as error:
        raise BackupError(
            _("读取数据表 %(table)s 失败（%(error)s），未写入备份文件。")
            % {"table": label, "error": type(error).__name__}
        ) from error
    if buffer.tell() or not parts:
        flush()
    return {
        "model": label,
        "table": model._meta.db_table,
        "fields": [field.attname for field in fields],
        "rows": rows,
        "parts": parts,
    }


def _write_media(tar: tarfile.TarFile, root: Path) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = []
    for relative, path in _media_files(root):
        with path.open("rb") as source:
            stat = os.fstat(source.fileno())
            info = tarfile.TarInfo(f"media/{relative}")
            info.size = stat.st_size
            info.mtime = int(stat.st_mtime)
            info.mode = 0o600
            reader = HashingReader(cast(BinaryIO, source))
            tar.addfile(info, reader)
        files.append({"path": relative, "size": reader.size, "sha256": reader.sha256.hexdigest()})
    return files


def backup_write(*, out: Path, key: str, using: str = DEFAULT_DB_ALIAS) -> BackupSummary:
    """Writes the database and MEDIA_ROOT, encrypted with `key`, to the new file `out`.
    The rows are read in one transaction (a consistent snapshot: REPEATABLE READ on
    PostgreSQL, a read transaction on SQLite). The file appears only when complete (written
    beside it under a temporary name, mode 0600); on any error nothing is left behind."""
    started = time.monotonic()
    raw_key = key_bytes(key)
    out = Path(out)
    media_root = storage_folder()
    if out.exists():
        raise BackupError(_("文件 %(name)s 已存在，未覆盖。请换一个文件名。") % {"name": out.name})
    if not out.parent.is_dir():
        raise BackupError(_("目录 %(dir)s 不存在。") % {"dir": out.parent})
    if _is_inside(out.parent, media_root):
        raise BackupError(_("备份文件不能放在媒体目录（MEDIA_ROOT）里。"))
    connection = connections[using]
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    except OSError as error:
        raise BackupError(
            _("无法在 %(dir)s 写入文件：%(error)s") % {"dir": out.parent, "error": error.strerror}
        ) from None
    try:
        with os.fdopen(handle, "wb") as file:
            writer = EncryptingWriter(file, raw_key)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                snapshot = not connection.in_atomic_block
                with transaction.atomic(using=using):
                    if snapshot and connection.vendor == "postgresql":
                        with connection.cursor() as cursor:
                            cursor.execute(
                                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                            )
                    migrations = migration_state(connection)
                    tables = [
                        _write_table(tar, model, number, using)
                        for number, model in enumerate(backed_up_models(), start=1)
                    ]
                media = _write_media(tar, media_root)
                manifest = {
                    "format": FORMAT_VERSION,
                    "application": "AidCase",
                    "created_at": timezone.now().isoformat(),
                    "database": connection.vendor,
                    "migrations": migrations,
                    "skipped": sorted(SKIPPED_MODELS),
                    "tables": tables,
                    "media": media,
                }
                _add_member(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False).encode())
            writer.close()
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return BackupSummary(
        tables=len(tables),
        rows=sum(table["rows"] for table in tables),
        media_files=len(media),
        media_bytes=sum(file["size"] for file in media),
        size=out.stat().st_size,
        seconds=time.monotonic() - started,
    )


# --- restore --------------------------------------------------------------------------------


def _open_tar(reader: DecryptingReader) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=reader, mode="r|")
    except tarfile.TarError:
        raise damaged() from None


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    try:
        yield from tar
    except tarfile.TarError:
        raise damaged() from None


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = tar.extractfile(member)
    if extracted is None:
        raise damaged()
    return extracted.read()


def _media_path(name: str) -> PurePosixPath:
    """The relative path of a media member, refused when it could leave the media folder."""
    relative = PurePosixPath(name.removeprefix("media/"))
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        raise damaged()
    return relative


def _stage(path: Path, key: bytes, staging: Path) -> dict[str, Any]:
    """First pass: authenticates the whole file, writes the media files into `staging` and
    returns the manifest, checked against the media files actually found."""
    manifest: dict[str, Any] | None = None
    found: dict[str, tuple[int, str]] = {}
    with path.open("rb") as source:
        reader = DecryptingReader(source, key)
        with _open_tar(reader) as tar:
            for member in _members(tar):
                if member.name == "manifest.json":
                    try:
                        manifest = json.loads(_read_member(tar, member))
                    except ValueError:
                        raise damaged() from None
                elif member.name.startswith("data/") and member.isfile():
                    continue
                elif member.name.startswith("media/") and member.isfile():
                    relative = _media_path(member.name)
                    target = staging.joinpath(*relative.parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    extracted = tar.extractfile(member)
                    if extracted is None:
                        raise damaged()
                    hashing = HashingReader(cast(BinaryIO, extracted))
                    with target.open("xb") as out:
                        shutil.copyfileobj(hashing, out, COPY_BYTES)
                    os.utime(target, (member.mtime, member.mtime))
                    found[relative.as_posix()] = (hashing.size, hashing.sha256.hexdigest())
                else:
                    raise damaged()
        reader.finish()
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise damaged()
    listed = {file["path"]: (file["size"], file["sha256"]) for file in manifest["media"]}
    if listed != found:
        raise BackupError(_("备份中的媒体文件与清单不符（校验失败），未做任何更改。"))
    return manifest


def _check_schema(manifest: dict[str, Any], connection: BaseDatabaseWrapper) -> None:
    ours = migration_state(connection)
    theirs: dict[str, list[str]] = manifest["migrations"]
    if ours == theirs:
        return
    differences = []
    for app_label in sorted(set(ours) | set(theirs)):
        if ours.get(app_label, []) != theirs.get(app_label, []):
            differences.append(
                _("%(app)s：备份为 %(backup)s，本数据库为 %(here)s")
                % {
                    "app": app_label,
                    "backup": (theirs.get(app_label) or ["—"])[-1],
                    "here": (ours.get(app_label) or ["—"])[-1],
                }
            )
    raise BackupError(
        _(
            "备份的数据库结构（迁移）与本数据库不一致，未做任何更改：%(differences)s。"
            "请先运行 manage.py migrate，或换用与备份相同版本的 AidCase 再恢复。"
        )
        % {"differences": "；".join(differences)}
    )


def _tables_of(manifest: dict[str, Any]) -> list[tuple[type[models.Model], dict[str, Any]]]:
    """The models of the manifest's tables, checked against this code's fields."""
    tables = []
    for table in manifest["tables"]:
        try:
            model = apps.get_model(table["model"])
        except (LookupError, ValueError):
            raise BackupError(
                _("备份中有本系统没有的数据表 %(table)s，未做任何更改。")
                % {"table": table["model"]}
            ) from None
        # Compared as sets: the values are read by the manifest's field names, in its order.
        if {field.attname for field in _fields(model)} != set(table["fields"]):
            raise BackupError(
                _(
                    "数据表 %(table)s 的字段与备份不一致，未做任何更改。"
                    "请换用与备份相同版本的 AidCase 再恢复。"
                )
                % {"table": table["model"]}
            )
        tables.append((model, table))
    return tables


def _data_in_the_way(using: str, media_root: Path) -> None:
    """Refuses a database that holds data (beyond what `migrate` writes) or a non-empty
    MEDIA_ROOT: a restore without --force never overwrites anything."""
    filled = [
        model._meta.db_table
        for model in backed_up_models()
        if model._meta.label not in MIGRATE_FILLED_MODELS
        and model._base_manager.using(using).exists()
    ]
    if filled:
        raise BackupError(
            _(
                "目标数据库已有数据（%(count)s 张表非空，如 %(tables)s），未做任何更改。"
                "恢复只能导入到刚运行过 migrate 的空数据库；确认要用备份覆盖现有全部数据时，"
                "请加 --force（先清空数据库和媒体目录再恢复）。"
            )
            % {"count": len(filled), "tables": "、".join(filled[:5])}
        )
    if next(_media_files(media_root), None) is not None:
        raise BackupError(
            _(
                "媒体目录（MEDIA_ROOT）里已有文件，未做任何更改。确认要用备份覆盖时，"
                "请加 --force（先清空数据库和媒体目录再恢复）。"
            )
        )


def _skipped_tables() -> list[str]:
    tables = []
    for label in sorted(SKIPPED_MODELS):
        try:
            tables.append(apps.get_model(label)._meta.db_table)
        except LookupError:
            continue
    return tables


def _wipe(connection: BaseDatabaseWrapper, tables: Iterable[str]) -> None:
    existing = set(connection.introspection.table_names())
    statements = connection.ops.sql_flush(
        no_style(), [table for table in tables if table in existing], reset_sequences=False
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _load(
    path: Path,
    key: bytes,
    tables: list[tuple[type[models.Model], dict[str, Any]]],
    using: str,
) -> dict[str, int]:
    """Second pass: inserts the rows as they come, primary keys included. Raw inserts: no
    signals (no history entries for the restore itself), auto_now values kept as stored."""
    connection = connections[using]
    by_part = {part: (model, table) for model, table in tables for part in table["parts"]}
    counts = {table["model"]: 0 for _model, table in tables}
    with path.open("rb") as source:
        reader = DecryptingReader(source, key)
        with _open_tar(reader) as tar:
            for member in _members(tar):
                if not member.name.startswith("data/"):
                    continue
                if member.name not in by_part:
                    raise damaged()
                model, table = by_part[member.name]
                fields = [model._meta.get_field(name) for name in table["fields"]]
                concrete = cast(list[models.Field[Any, Any]], fields)
                objs = []
                for line in gzip.decompress(_read_member(tar, member)).splitlines():
                    values = json.loads(line)
                    objs.append(
                        model(
                            **{
                                field.attname: value_load(field, value)
                                for field, value in zip(concrete, values, strict=True)
                            }
                        )
                    )
                batch = max(1, min(INSERT_BATCH, connection.ops.bulk_batch_size(concrete, objs)))
                # QuerySet._insert is what Model.save_base(raw=True) and loaddata use: raw
                # inserts keep auto_now values as stored, which bulk_create would overwrite.
                queryset = cast(Any, model._base_manager.using(using))
                for start in range(0, len(objs), batch):
                    queryset._insert(objs[start : start + batch], fields=concrete, raw=True)
                counts[table["model"]] += len(objs)
        reader.finish()
    return counts


def _move_in(staging: Path, media_root: Path, *, replace: bool) -> None:
    """Moves the staged media files into MEDIA_ROOT, file by file (renames on one file
    system), into folders that may exist already; with `replace`, what was there goes first."""
    media_root.mkdir(parents=True, exist_ok=True)
    trash = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root.parent))
    try:
        if replace:
            for entry in list(media_root.iterdir()):
                shutil.move(entry, trash / entry.name)
        for directory, _subdirectories, files in os.walk(staging):
            target = media_root / Path(directory).relative_to(staging)
            target.mkdir(parents=True, exist_ok=True)
            for name in files:
                shutil.move(Path(directory) / name, target / name)
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def backup_restore(
    *, path: Path, key: str, force: bool, using: str = DEFAULT_DB_ALIAS
) -> RestoreSummary:
    """Restores a backup of backup_write into this database and MEDIA_ROOT.

    Refused, with nothing changed, for a wrong key, a damaged or cut-off file, a backup of
    another schema (migrations), or (without `force`) a database holding data or a non-empty
    MEDIA_ROOT. With `force` every table and MEDIA_ROOT are emptied first. All rows go in in
    one transaction with their primary keys; PostgreSQL sequences are reset afterwards.
    Sessions are emptied: everybody logs in again."""
    started = time.monotonic()
    raw_key = key_bytes(key)
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("找不到备份文件 %(name)s。") % {"name": path.name})
    connection = connections[using]
    media_root = storage_folder()
    if not force:
        _data_in_the_way(using, media_root)
    try:
        media_root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root.parent))
    except OSError as error:
        raise BackupError(
            _("无法在 %(dir)s 建立临时目录：%(error)s")
            % {"dir": media_root.parent, "error": error.strerror}
        ) from None
    try:
        try:
            manifest = _stage(path, raw_key, staging)
        except OSError as error:
            raise BackupError(
                _("读取备份或写入临时目录失败：%(error)s，未做任何更改。")
                % {"error": error.strerror or type(error).__name__}
            ) from error
        _check_schema(manifest, connection)
        tables = _tables_of(manifest)
        wiped = [model._meta.db_table for model in backed_up_models()] + _skipped_tables()
        try:
            with transaction.atomic(using=using):
                if not force:
                    _data_in_the_way(using, media_root)
                with connection.constraint_checks_disabled():
                    _wipe(connection, wiped)
                    counts = _load(path, raw_key, tables, using)
                if any(counts[table["model"]] != table["rows"] for _model, table in tables):
                    raise damaged()
                connection.check_constraints(table_names=[table["table"] for _m, table in tables])
                with connection.cursor() as cursor:
                    for statement in connection.ops.sequence_reset_sql(
                        no_style(), [model for model, _table in tables]
                    ):
                        cursor.execute(statement)
        except (DatabaseError, ValidationError, ValueError, TypeError) as error:
            raise BackupError(
                _("数据库拒绝了备份中的数据（%(error)s），已全部撤销，未做任何更改。")
                % {"error": type(error).__name__}
            ) from error
        _move_in(staging, media_root, replace=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        ContentType.objects.clear_cache()
    return RestoreSummary(
        created_at=manifest["created_at"],
        tables=len(tables),
        rows=sum(table["rows"] for _model, table in tables),
        media_files=len(manifest["media"]),
        media_bytes=sum(file["size"] for file in manifest["media"]),
        seconds=time.monotonic() - started,
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def local_time(iso: str) -> str:
    """A manifest time as local time, for the operator."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
