"""Browser tests: Playwright drives Debian's Chromium (installed by `make install`; never a
downloaded browser) on a 390×844 phone screen in Chinese."""

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API keeps an event loop running in the test thread; the tests only touch
# the database between browser calls, never concurrently with them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# What a page must show is waited for up to 15 s, not Playwright's 5: on a 2-core CI machine
# running the live server, Chromium and the database at once, a save with a photo (shrunk in
# the page, sent, re-encoded on the server) can take longer than 5 s. A page that never shows
# it still fails.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run `make install` (it installs Debian's chromium).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "locale": "zh-CN",
        "is_mobile": True,
        "has_touch": True,
    }


@pytest.fixture
def media(settings, tmp_path) -> Path:
    # The live server runs in this process, so it stores uploads here.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "家访.jpg"
    Image.new("RGB", (1200, 900), (90, 140, 200)).save(path, "JPEG")
    return path
