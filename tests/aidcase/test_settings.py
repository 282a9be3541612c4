import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(  # noqa: S603 — fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_deploy_check_is_silent_with_debug_off():
    result = manage(
        "check", "--deploy", DJANGO_SECRET_KEY="k" * 20 + "-a-long-random-production-key-0123456789"
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    assert result.stderr == ""


def test_deploy_check_complains_when_debug_is_on():
    result = manage(
        "check", "--deploy", DJANGO_DEBUG="1", DJANGO_SECRET_KEY="k" * 60, DJANGO_HTTPS="0"
    )
    assert "security.W018" in result.stdout + result.stderr


def test_database_url_is_honoured(tmp_path):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
        DATABASE_URL=f"sqlite:///{tmp_path}/elsewhere.sqlite3",
    )
    assert result.stdout.strip() == f"{tmp_path}/elsewhere.sqlite3"


def test_chinese_first_in_china_time():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert ("en", "English") in settings.LANGUAGES
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_assets_are_served_by_the_app_itself():
    # No CDN: every asset a page links is a static file of the project.
    assert finders.find("css/aidcase.css")
    assert finders.find("img/icons.svg")
    assert finders.find("django_htmx/htmx-2.min.js")
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


def test_uploaded_media_is_private():
    # Media lives outside the static tree and no URL serves it directly.
    media = Path(settings.MEDIA_ROOT).resolve()
    assert not media.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert all(not media.is_relative_to(Path(d).resolve()) for d in settings.STATICFILES_DIRS)
    with pytest.raises(Resolver404):
        resolve(f"{settings.MEDIA_URL}photos/1.jpg")


@pytest.mark.parametrize("template", ["base.html", "registration/login.html"])
def test_no_external_urls_in_templates(template):
    text = (ROOT / "templates" / template).read_text()
    assert "http://" not in text
    assert "https://" not in text
