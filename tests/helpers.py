"""Reading what a page shows, for the view tests: the HTML a user sees, not the context."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.contrib.messages import get_messages
from django.utils import timezone

from students import idcard


def today() -> dt.date:
    return timezone.localdate()


def yesterday() -> dt.date:
    return today() - dt.timedelta(days=1)


def id_number(first17: str) -> str:
    """A resident ID number with the right check character."""
    return first17 + idcard.check_char(first17)


def wrong_check_char(number: str) -> str:
    """The same number with a check character that does not match."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def text(response: Any) -> str:
    return response.content.decode()


def results(response: Any) -> str:
    """The #results part of a list page: what was found, without the search form."""
    page = text(response)
    return page[page.index('<div id="results">') :]


def field_errors(response: Any, field: str) -> str:
    """The error list shown beside a form field ("" when there is none)."""
    match = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', text(response), re.S
    )
    return match[1] if match else ""


def form_errors(response: Any) -> str:
    """The errors shown at the top of a form, not tied to one field."""
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', text(response), re.S)
    return match[1] if match else ""


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def login_redirect(path: str) -> str:
    return f"/accounts/login/?next={path}"


def table_row(response: Any, marker: str) -> list[str]:
    """The text of the numeric cells of the table row that contains `marker`."""
    for row in re.findall(r"<tr>(.*?)</tr>", text(response), re.S):
        if marker in row:
            cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
            return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
    raise AssertionError(f"no row contains {marker!r}")


def template_files() -> dict[str, Path]:
    """Every template of the project by its name: the shell's (templates/) and each app's
    (<app>/templates/), never a third-party package's."""
    from django.apps import apps
    from django.conf import settings

    root = Path(settings.BASE_DIR)
    folders = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    folders += [
        Path(config.path) / "templates"
        for config in apps.get_app_configs()
        if Path(config.path).parent == root
    ]
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.html")) if folder.is_dir() else []:
            found.setdefault(str(path.relative_to(folder)), path)
    return found


# What an import says of a required column it did not find.
MISSING_COLUMN = "缺少必填列（前 10 行中没有包含全部必填列的表头行）：请加上这一列，或按模板改列名"


ROOT = Path(__file__).resolve().parent.parent


def manage_py(
    *args: str, env: dict[str, str], cleared: tuple[str, ...] = ("DJANGO_", "AIDCASE_")
) -> subprocess.CompletedProcess[str]:
    """`manage.py ARGS` in a process of its own, as a deployment starts it: this process's
    environment without the variables of the prefixes `cleared`, plus `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
    environment.update(env)
    return subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def stop(process: subprocess.Popen[Any]) -> None:
    """Ends a server or worker a test started: asked first, then made to."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
