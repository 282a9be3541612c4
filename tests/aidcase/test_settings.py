import gzip
import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from aidcase.middleware import TextGZipMiddleware
from students.fields import generate_key
from tests import factories
from tests.conftest import login
from tests.helpers import manage_py

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return manage_py(*args, env=env)


PRODUCTION_HOST = "aid.example.edu.cn"
# The security settings that the production environment decides.
SECURITY_SETTINGS = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
)


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """README's production environment: DJANGO_DEBUG unset, a random secret key of 50+
    characters, the site's host name, the ID-number key, DJANGO_HTTPS left to its default."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": PRODUCTION_HOST,
        "AIDCASE_ID_KEY": generate_key(),
        "DATABASE_URL": f"sqlite:///{tmp_path}/production.sqlite3",
        **extra,
    }


def production_settings(tmp_path: Path, **extra: str) -> dict:
    """The security settings as a process started with the production environment has them."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {SECURITY_SETTINGS!r}}}))"
    )
    result = manage("shell", "--no-imports", "-c", code, **production_env(tmp_path, **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_warns_when_the_id_number_key_is_not_from_the_environment(tmp_path):
    env = production_env(tmp_path)
    del env["AIDCASE_ID_KEY"]
    result = manage("check", "--deploy", **env)
    assert "aidcase.W001" in result.stdout + result.stderr


def test_a_malformed_id_number_key_is_an_error(tmp_path):
    result = manage("check", **production_env(tmp_path, AIDCASE_ID_KEY="not-a-key"))
    assert result.returncode != 0
    assert "aidcase.E001" in result.stdout + result.stderr


@pytest.mark.parametrize("proxy", [{}, {"DJANGO_BEHIND_PROXY": "1"}], ids=["direct", "proxy"])
def test_deploy_check_reports_nothing_in_the_production_environment(tmp_path, proxy):
    # given the production environment of README, when the deployment checks run at the
    # strictest level, then there is not even a debug-level message
    result = manage(
        "check", "--deploy", "--fail-level", "DEBUG", **production_env(tmp_path, **proxy)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


def test_production_environment_keeps_to_https(tmp_path):
    assert production_settings(tmp_path) == {
        "DEBUG": False,
        "ALLOWED_HOSTS": [PRODUCTION_HOST],
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_behind_a_proxy_https_is_read_from_x_forwarded_proto(tmp_path):
    values = production_settings(tmp_path, DJANGO_BEHIND_PROXY="1")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


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


@pytest.mark.parametrize("value", ["²", "٣", "0", "-5", "三十"])
def test_a_retention_period_that_is_not_a_day_count_is_refused_in_chinese(value):
    from aidcase.settings import env_days

    os.environ["AIDCASE_TEST_DAYS"] = value
    try:
        with pytest.raises(ImproperlyConfigured, match="应为天数"):
            env_days("AIDCASE_TEST_DAYS", 30)
    finally:
        del os.environ["AIDCASE_TEST_DAYS"]


def test_pages_are_gzipped_unless_the_proxy_does_it(tmp_path):
    code = "from django.conf import settings; print('\\n'.join(settings.MIDDLEWARE))"
    for env, expected in (({}, True), ({"DJANGO_GZIP": "0"}, False)):
        result = manage("shell", "--no-imports", "-c", code, **production_env(tmp_path, **env))
        assert result.returncode == 0, result.stderr
        middleware = result.stdout.split()
        assert ("aidcase.middleware.TextGZipMiddleware" in middleware) is expected
        if expected:  # first: it compresses what every other one made
            assert middleware[0] == "aidcase.middleware.TextGZipMiddleware"


@pytest.mark.django_db
def test_a_teacher_s_home_page_travels_gzipped(client, school, semester):
    teacher = factories.PairingFactory(school=school).teacher
    page = login(teacher).get("/me/", headers={"accept-encoding": "gzip, deflate, br"})
    assert page["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page["Vary"]
    body = gzip.decompress(page.content).decode()
    assert "我的帮扶学生" in body
    assert len(page.content) < len(body.encode()) / 2


@pytest.mark.parametrize(
    ("content_type", "gzipped"),
    [
        ("text/html; charset=utf-8", True),
        ("text/csv", True),
        ("application/json", True),
        ("image/jpeg", False),
        ("application/zip", False),
        ("application/pdf", False),
    ],
)
def test_only_what_compresses_is_gzipped(rf, content_type, gzipped):
    body = b"<p>" + "结对帮扶".encode() * 200 + b"</p>"
    middleware = TextGZipMiddleware(lambda request: HttpResponse(body, content_type=content_type))
    response = middleware(rf.get("/", headers={"accept-encoding": "gzip"}))
    assert (response.get("Content-Encoding") == "gzip") is gzipped
