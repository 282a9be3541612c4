"""What every import kind does on django-import-export, so that each kind's Resource says only
what is its own: its fields, its checks across rows and against the records, and what it
writes besides its model's rows.

A school's file is read by `aidcase.spreadsheets` (header detection, synonyms, several sheets,
merged cells: what the library lacks), whose columns parse each cell through the Resource's
widgets (`CellWidget`, wrapping our parsers and their Chinese messages). The Resource then
works on the parsed values: the library's row loop finds each row's instance (`Preloaded`: the
records loaded once, no query per row), sets its fields, diffs it (`skip_row`, noting the
changed columns for the preview) and saves in bulk, through the audited helpers, only when
every row has passed. `sheet_plan` turns a dry run into the preview's `Plan`, whose `apply` is
the real run. The superuser's admin imports the same Resources (`read_dataset`).
"""

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import tablib
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult

from aidcase.audit import IMPORT_REASON, tracked_bulk_create, tracked_bulk_update
from aidcase.sheetfiles import RawSheet
from aidcase.spreadsheets import Column, Plan, RowChange, RowError, Rows, parse, read_sheets

# What the library's row results are called in a plan.
ACTIONS = {
    RowResult.IMPORT_TYPE_NEW: "new",
    RowResult.IMPORT_TYPE_UPDATE: "changed",
    RowResult.IMPORT_TYPE_SKIP: "unchanged",
}


class CellWidget(widgets.Widget):
    """A column's cells through one of `aidcase.spreadsheets`' parsers: `clean()` raises
    CellError (a ValueError) with the Chinese message, and a blank cell is `blank`. With
    `cells_parsed` (rows read by `aidcase.spreadsheets.records`, whose columns parse through
    these same widgets) the value is already clean and is not parsed again."""

    def __init__(
        self,
        parser: Callable[[Any], Any],
        *,
        blank: Any = None,
        show: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(coerce_to_string=True)
        self.parser, self.blank, self.show = parser, blank, show

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("cells_parsed"):
            return self.blank if value is None else value
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.blank
        return self.parser(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None or value == "":
            return ""
        return self.show(value) if self.show is not None else str(value)


class Preloaded(BaseInstanceLoader):
    """The records a row may update, loaded once by the Resource's `load()` (which checks the
    file against them) and found by the row's key: no query per row."""

    def get_instance(self, row: dict[str, Any]) -> Any:
        resource: SheetResource = self.resource
        return resource.existing.get(resource.row_key(row))


class SheetRowResult(RowResult):
    """A row's result with the headers of the columns the row changes (the preview's diff).
    It is named by the Resource (`after_import_row`), not by str() of its record, which
    follows foreign keys (a query a row for pairings and scores)."""

    def __init__(self) -> None:
        super().__init__()
        self.changed_columns: list[str] = []

    def add_instance_info(self, instance: Any) -> None:
        if instance is not None:
            self.object_id = instance.pk


def unsaved_copy[M: models.Model](prototype: M) -> M:
    """A new unsaved record holding `prototype`'s values: what `Model(**the same values)`
    makes, for a tenth of its cost (a real run makes one per new row, and the model's
    `__init__` was a sixth of it). `prototype` is itself unsaved, built with `Model(...)`
    from plain values (no mutable defaults, no related objects cached); no model here has
    `pre_init`/`post_init` receivers, which the copy does not send."""
    instance = prototype.__class__.__new__(prototype.__class__)
    values = prototype.__dict__.copy()
    values["_state"] = ModelState()
    instance.__dict__ = values
    return instance


def placeholder_ids() -> Iterator[int]:
    """Ids no record has, for what a dry run would create (cohorts, classes…)."""
    n = 0
    while True:
        n -= 1
        yield n


class SheetResource(resources.ModelResource):
    """One import kind of a school (or a county) on the library. Subclasses set `columns`
    (the sheet's, whose parsers are their fields' widgets' `clean`), `key` (the header that
    finds a row's record and names the row; or `row_key` and `change_key`), and override
    `load()` (checks, `existing`), `set_related()` (what a row points to), `compared` (the
    attributes `skip_row` diffs, with their headers) and `after_save` for their other
    writes. `rows` are what `aidcase.spreadsheets.parse` read; without them (the admin) the
    dataset is read the same way first. A model's `updated_at` is set on the rows a real run
    updates (bulk_update does not set auto_now fields)."""

    columns: ClassVar[tuple[Column, ...]] = ()
    key: ClassVar[str] = ""
    # (header, attribute) pairs `skip_row` compares; a header absent from the file is skipped.
    compared: ClassVar[tuple[tuple[str, str], ...]] = ()

    class Meta:
        instance_loader_class = Preloaded
        skip_unchanged = True
        report_skipped = True
        # The diff is `skip_row`'s comparison of the fields the file sets: the library's (a
        # deep copy and every field rendered twice per row) costs more than the import.
        skip_diff = True
        use_bulk = True
        # One bulk write at the end, once every row has passed (all or nothing).
        batch_size = None

    def __init__(self, *, by: Any = None, rows: Rows | None = None, **context: Any) -> None:
        super().__init__()
        self.by, self.rows, self.context = by, rows, context
        self.loaded = False
        self.dry_run = False
        self.errors: list[RowError] = []  # every problem of every row, cells' first
        self.creates: list[str] = []  # what the import makes on the way, for the preview
        self.existing: dict[Any, Any] = {}
        self.failed: dict[int, list[str]] = {}  # dataset row number → its problems
        self.restore: list[tuple[Any, tuple[Any, ...]]] = []
        self.before: dict[int, tuple[Any, ...]] = {}
        self.created: list[Any] = []
        self.updated: list[Any] = []
        self.update_fields: set[str] = set()
        self.now = timezone.now()  # a real run's time, set again when it starts
        self._import_fields: list[Field] | None = None
        self._setters: list[tuple[str, str, Callable[..., Any]]] | None = None
        self._last_changed: list[str] = []

    @property
    def writes(self) -> bool:
        """Whether this is a real run whose rows have all passed: the only run that saves."""
        return not self.dry_run and not self.errors

    @classmethod
    def keys(cls) -> dict[str, str]:
        # Asked for several times a row: made once per class.
        found: dict[str, str] | None = cls.__dict__.get("_keys")
        if found is None:
            found = {column.header: column.key for column in cls.columns}
            cls._keys = found
        return found

    def row_key(self, row: Any) -> Any:
        """What finds a row's record in `existing`; `row` is the dataset's, by header."""
        return row[self.key]

    def change_key(self, record: dict[str, Any]) -> str:
        """How the preview and the admin name a row; `record` is the parsed row, by key."""
        return str(record.get(self.keys()[self.key]))

    # The dataset

    def dataset(self, only: set[int] | None = None) -> tablib.Dataset:
        """The rows read as a dataset of parsed values in the columns the file has; `only`:
        the rows at these places in `rows.records`."""
        rows = self.rows
        if rows is None:
            raise ValueError("no rows read yet")
        if only is None:
            # The plan's dry run and the real run under the lock read the same dataset (the
            # library only reads it).
            return rows.once((type(self), "dataset"), lambda: self._dataset(rows, None))
        return self._dataset(rows, only)

    def _dataset(self, rows: Rows, only: set[int] | None) -> tablib.Dataset:
        keys = self.keys()
        fields = {f.column_name for f in self.get_import_fields()}
        headers = [h for h in rows.headers if h in keys and h in fields]
        names = [keys[h] for h in headers]
        data = tablib.Dataset(headers=headers)
        for place, (_number, record, _ok) in enumerate(rows.records):
            if only is None or place in only:
                data.append(tuple(record.get(name) for name in names))
        return data

    def read_dataset(self, dataset: tablib.Dataset) -> None:
        """The admin's dataset (first row the header, cells as the file holds them) read as a
        file is: headers found and matched through synonyms, every cell parsed once."""
        rows = enumerate([list(dataset.headers or []), *(list(r) for r in dataset)], start=1)
        sheet = RawSheet(name="", hidden=False, rows=iter(rows))
        self.rows = parse(read_sheets([sheet], self.columns), self.columns)
        parsed = self.dataset()
        dataset.wipe()
        dataset.headers = parsed.headers
        for values in parsed:
            dataset.append(values)

    # Before any row

    def import_data_inner(
        self,
        dataset: tablib.Dataset,
        dry_run: bool,
        raise_errors: bool,
        using_transactions: bool,
        collect_failed_rows: bool,
        **kwargs: Any,
    ) -> Any:
        # before_import is not told whether the run is a dry one.
        self.dry_run = dry_run
        return super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        self._setters = None  # found again from this dataset's columns
        if self.rows is None:
            self.read_dataset(dataset)
        if not self.loaded:
            self.loaded = True
            if self.rows is None:
                raise ValueError("no rows read yet")
            self.errors = list(self.rows.errors)
            if not self.rows.missing:
                self.load()
                self._mark_failed()
        if self.rows is not None and self.rows.missing:
            # Not a row's problem: the library lists it above the rows.
            raise ValueError("；".join(str(error) for error in self.errors))
        if self.writes:
            self.now = timezone.now()
            self.prepare()

    def load(self) -> None:
        """Checks across rows and against the records (into `errors`), and `existing`: the
        records rows may update, by key. One query each, whatever the number of rows."""

    def prepare(self) -> None:
        """A real run, every row having passed: makes what the rows point to (cohorts,
        classes, semesters…) before the rows are saved."""

    def _mark_failed(self) -> None:
        """The rows with a problem, by their place in the dataset (the library's row
        number), so that the row loop refuses them and the admin lists them."""
        if self.rows is None:
            return
        where = {
            (getattr(n, "order", 0), int(n)): i
            for i, (n, _r, _ok) in enumerate(self.rows.records, 1)
        }
        for error in self.errors:
            place = where.get((getattr(error.row, "order", 0), int(error.row)))
            if place is not None:
                self.failed.setdefault(place, []).append(str(error))

    # Each row

    @classmethod
    def get_row_result_class(cls) -> type[RowResult]:
        return SheetRowResult

    def get_import_fields(self) -> list[Field]:
        # The library asks for them several times a row; they never change.
        if self._import_fields is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def after_init_instance(self, instance: Any, new: bool, row: Any, **kwargs: Any) -> None:
        if not new:
            self.before[id(instance)] = tuple(getattr(instance, a) for _h, a in self.compared)

    def import_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        """The library's import_instance (each field's widget cleans its cell onto the
        instance), its loop over the fields and their `import_field`, `save` and `clean`
        calls flattened: they cost more than the rest of a row. Only the columns the file has
        are set: an absent column leaves its field alone."""
        problems = self.failed.get(kwargs.get("row_number", 0))
        if problems:
            raise ValidationError(problems)
        if self._setters is None:
            self._setters = [
                (f.column_name, f.attribute, f.widget.clean)
                for f in self.get_import_fields()
                if f.attribute and not f.readonly and f.column_name in row
            ]
        for column, attribute, clean in self._setters:
            setattr(instance, attribute, clean(row[column], cells_parsed=True))
        self.set_related(instance, row)

    def set_related(self, instance: Any, row: Any) -> None:
        """What the row points to, found from its columns (a class from 入学年份 and 班级…)."""

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        """Whether the stored record already is as the row says; the columns that differ
        are noted for the preview (and whatever `also_changed` adds)."""
        if import_validation_errors:
            return False
        before = self.before.get(id(instance))
        if before is None:  # a new record
            self._last_changed = []
            return False
        changed = [
            header
            for (header, attr), old in zip(self.compared, before, strict=True)
            if (header in row or header not in self.keys()) and getattr(instance, attr) != old
        ]
        changed += [h for h in self.also_changed(instance, row) if h not in changed]
        self._last_changed = changed
        if changed:
            self.restore.append((instance, before))
        return not changed

    def also_changed(self, instance: Any, row: Any) -> list[str]:
        """Headers of what a row changes beyond its record's fields (categories to identify…)."""
        return []

    def save_instance(self, instance: Any, is_create: bool, row: Any, **kwargs: Any) -> None:
        if self.dry_run:
            return  # the library would only note the instance for a bulk write that never comes
        if self.writes and not is_create:
            self.update_fields.update(
                attr for header, attr in self.compared if header in row or header not in self.keys()
            )
            if hasattr(instance, "updated_at"):
                instance.updated_at = self.now
                self.update_fields.add("updated_at")
        super().save_instance(instance, is_create, row, **kwargs)

    def after_import_row(self, row: Any, row_result: Any, **kwargs: Any) -> None:
        keys = self.keys()
        row_result.object_repr = self.change_key({keys[h]: value for h, value in row.items()})
        if row_result.import_type == RowResult.IMPORT_TYPE_UPDATE:
            row_result.changed_columns = self._last_changed

    # Writes: once, after every row has passed

    def bulk_create(self, *args: Any, **kwargs: Any) -> None:
        # Updates first (the library creates first): a row may end an open pairing that a
        # new row of the file replaces (one_open_pairing).
        self.bulk_update(*args, **kwargs)
        if self.writes and self.create_instances:
            model = self._meta.model
            self.created = tracked_bulk_create(
                model, self.create_instances, by=self.by, reason=IMPORT_REASON
            )
        self.create_instances.clear()

    def bulk_update(self, *args: Any, **kwargs: Any) -> None:
        if self.writes and self.update_instances:
            self.updated = list(self.update_instances)
            tracked_bulk_update(
                self._meta.model,
                self.updated,
                sorted(self.fields_to_update()),
                by=self.by,
                reason=IMPORT_REASON,
            )
        self.update_instances.clear()

    def fields_to_update(self) -> set[str]:
        return self.update_fields

    def after_import(self, dataset: tablib.Dataset, result: Any, **kwargs: Any) -> None:
        """A dry run puts back what it set on the records (a real run may follow with the
        same ones); a real run then does `after_save`. The library's own after_import
        (resetting sequences) is not needed: no row sets a primary key."""
        if not self.writes:
            for instance, before in self.restore:
                for (_header, attr), value in zip(self.compared, before, strict=True):
                    setattr(instance, attr, value)
            self.restore = []
            return
        self.after_save()

    def after_save(self) -> None:
        """A real run's other writes (identifications, accounts…), after the rows are saved."""

    def summary(self) -> Any:
        """What `apply` returns."""
        return {"new": len(self.created), "changed": len(self.updated)}


def sheet_plan(kind: str, resource: SheetResource, *, run: bool = False) -> Plan:
    """The preview of an import: the Resource's dry run (its checks give the errors, its row
    results the rows: new, changed with the changed columns, unchanged), and `apply`, its real
    run on the rows that change something. The dry run reads only and opens no transaction (on
    SQLite a transaction takes the write lock): `import_data_inner` without one is the
    library's dry run for a database without transactions.

    With `run`, in the transaction that saves them, the rows are checked again and saved in
    one real run (which writes nothing when a check fails): the plan is what it did, and
    `apply` returns its summary. The import service does this under the write lock, instead
    of a second dry run before the real one."""
    rows = resource.rows
    if rows is None:
        raise ValueError("no rows read yet")
    plan = Plan(kind=kind, errors=list(rows.errors))
    if rows.missing:
        return plan
    dataset = resource.dataset()
    if run:
        result = resource.import_data(
            dataset, dry_run=False, use_transactions=False, raise_errors=False
        )
    else:
        result = resource.import_data_inner(
            dataset,
            dry_run=True,
            raise_errors=False,
            using_transactions=False,
            collect_failed_rows=False,
        )
    plan.errors = list(resource.errors)
    if plan.errors:
        return plan
    for error in result.base_errors:
        raise error.error
    for (number, record, _ok), row in zip(rows.records, result.rows, strict=True):
        if row.errors:
            raise row.errors[0].error
        action = ACTIONS[row.import_type]
        key = resource.change_key(record)
        plan.changes.append(RowChange(number, key, action, list(row.changed_columns)))
    plan.creates = list(resource.creates)
    if run:
        summary = resource.summary()
        plan.apply = lambda: summary
        return plan
    touched = {place for place, c in enumerate(plan.changes) if c.action != "unchanged"}

    @transaction.atomic
    def apply() -> Any:
        changed = resource.dataset(only=touched)
        resource.import_data(changed, dry_run=False, use_transactions=False, raise_errors=True)
        return resource.summary()

    plan.apply = apply
    return plan
