"""Files in the file storage (`storages["default"]`, a folder or a bucket that every host
shares) listed by age: what the sweeps of abandoned uploads, kept forms and orphaned photos and
exports delete."""

import datetime as dt

from django.core.files.storage import Storage, storages


def stored_files_older_than(folder: str, cutoff: dt.datetime, *, nested: bool = False) -> list[str]:
    """The names of the files in `folder` of the storage (and its subfolders with `nested`)
    last written before `cutoff`, in a stable order. A missing folder has none; a file that
    goes while the folder is read (another sweep took it) is left out."""
    storage = storages["default"]
    return [name for name in _names(storage, folder, nested) if _before(storage, name, cutoff)]


def _names(storage: Storage, folder: str, nested: bool) -> list[str]:
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" for name in sorted(files)]
    if nested:
        for directory in sorted(directories):
            names += _names(storage, f"{folder}/{directory}", nested)
    return names


def _before(storage: Storage, name: str, cutoff: dt.datetime) -> bool:
    try:
        return storage.get_modified_time(name) < cutoff
    except FileNotFoundError:
        return False
