"""AidCase settings. Everything that differs between machines comes from the environment:

DATABASE_URL          default: SQLite file var/aidcase.sqlite3
DATABASE_REPLICA_URL  a read replica of DATABASE_URL: the dashboards and the county page read
                      from it (aidcase.db_router); default: none, everything on DATABASE_URL
REDIS_URL             a Redis shared by every web host, for Django's cache (e.g.
                      redis://127.0.0.1:6379/0); default: a cache in each process's memory
DJANGO_STORAGE        where uploads, kept forms and export ZIPs live: "filesystem" (default,
                      DJANGO_MEDIA_ROOT; a shared mount for several hosts) or "s3" (an
                      S3-compatible bucket through django-storages, DJANGO_S3_*; see README)
DJANGO_SECRET_KEY     default: a random key kept in var/secret_key (development only)
DJANGO_DEBUG          off unless set to 1/true/yes/on
DJANGO_ALLOWED_HOSTS  comma-separated, default localhost,127.0.0.1,[::1]
DJANGO_HTTPS          with DEBUG off: HTTPS-only cookies, HSTS and redirects (default on)
DJANGO_GZIP           pages gzipped by the app (default on); 0 when the reverse proxy does it
DJANGO_EMAIL_*        the SMTP server of reminder e-mails (see README)
AIDCASE_ID_KEY        the key that encrypts ID numbers (身份证号) at rest: 32 random bytes,
                      urlsafe base64 (`manage.py id_key --generate`); never in the database or
                      its backups. Default: a random key kept in var/id_key (development only)
AIDCASE_BACKUP_KEY    the key of `manage.py backup` / `restore`: 32 random bytes, base64
                      (`manage.py backup --generate-key`); no default, kept apart from backups
AIDCASE_ARCHIVE_AFTER_DAYS, AIDCASE_LOGIN_RECORD_DAYS, AIDCASE_REMINDER_DAYS
                      retention periods of `manage.py retention` (365, 180, 180 days)
AIDCASE_LATE_DAYS     how many days after its date a teacher may still record a log or an
                      incident (a record written offline arrives late; default 14)
"""

import base64
import datetime as dt
import importlib.util
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_days(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ImproperlyConfigured(f"{name} 应为天数（正整数），现在是 {value!r}")
    return int(value)


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    if key:
        return key
    # A key per checkout keeps sessions valid across restarts of a development server
    # without ever committing a key.
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(exist_ok=True)
    key = secrets.token_urlsafe(64)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _id_key() -> str:
    key = os.environ.get("AIDCASE_ID_KEY", "").strip()
    if key:
        return key
    # As for the secret key: a development checkout keeps its own key outside the database.
    path = VAR_DIR / "id_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(exist_ok=True)
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    path.write_text(key)
    path.chmod(0o600)
    return key


DEBUG = env_flag("DJANGO_DEBUG")
SECRET_KEY = _secret_key()
ID_NUMBER_KEY = _id_key()
ID_NUMBER_KEY_FROM_ENV = bool(os.environ.get("AIDCASE_ID_KEY", "").strip())
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "import_export",
    "django_tasks_db",
    "simple_history",
    "axes",
    "students",
    "pairing",
    "visits",
    "assessment",
    "dashboards",
    "ledgers",
    "imports",
    "governance",
    "demo",
    "aidcase.apps.AidcaseConfig",
]

MIDDLEWARE = [
    # Pages compressed here unless the reverse proxy does it (DJANGO_GZIP=0 then): a page is
    # 14–23 KB, 3–5 KB gzipped, on a village network of 400 kbps. Static files are compressed
    # ahead of time by WhiteNoise. First, so that it compresses what every other one made; the
    # CSRF token is masked afresh in every response (BREACH).
    *(["aidcase.middleware.TextGZipMiddleware"] if env_flag("DJANGO_GZIP", default=True) else []),
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aidcase.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "aidcase.middleware.NoStoreForAuthenticatedMiddleware",
    "aidcase.middleware.ForcePasswordChangeMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # With DATABASE_REPLICA_URL, aidcase.db_router.ReplicaReadsMiddleware comes here (below).
    # After every middleware that may refuse a request: only a POST that reaches its view
    # claims its form key.
    "aidcase.submissions.SubmitOnceMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aidcase.urls"
WSGI_APPLICATION = "aidcase.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aidcase.context_processors.navigation",
            ],
            "builtins": [
                "aidcase.templatetags.aidcase_forms",
                "aidcase.templatetags.aidcase_text",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'aidcase.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # SQLite for a web server with several processes and threads. WAL: readers never wait for
    # the writer, nor it for them; synchronous=NORMAL is safe with WAL (a power cut may lose
    # the last commits, never corrupts). IMMEDIATE: every transaction takes the write lock
    # when it begins, so it waits its turn through the busy timeout; a transaction that read
    # first and wrote later could not, and failed with "database is locked" as soon as
    # another one had committed in between. The wait stays under gunicorn's default worker
    # timeout (30 s). Long reads come before the transaction (imports, assessment sheets).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": (
                "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# A read replica (PostgreSQL streaming replication) for the pages that aggregate a school or
# the county. Only reads of those views go there (aidcase.db_router); without one, nothing is
# routed and no middleware is added.
_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if _REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        _REPLICA_URL,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    # Tests read the test database through this alias; it is never created or migrated.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["aidcase.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("aidcase.submissions.SubmitOnceMiddleware"),
        "aidcase.db_router.ReplicaReadsMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username and address before the password
    # is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after 10 failed logins of one username from one address, for 30 minutes; the aid
# office can lift it earlier.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# No personal data in logs: axes names only the lockout parameters, masked, and the path.
# The attempt records in the database stay complete, they are the lockout state.
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "user_agent"]
# Behind nginx every request comes from the proxy's own address, and one address for all
# would let anyone lock any account: the client's address is the one nginx appends to
# X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = (
    "aidcase.security.client_ip_behind_proxy" if env_flag("DJANGO_BEHIND_PROXY") else None
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (home-visit photos…) are private: they live outside the static tree and
# have no public URL; views that check permissions stream them.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))


def _file_storage() -> dict[str, Any]:
    """Photos, forms kept through a re-login and export ZIPs, all private. Code reaches them
    only through Django's storage API (storages["default"]), never a local path, so several
    web and worker hosts can share them: a shared mount as DJANGO_MEDIA_ROOT, or a bucket."""
    kind = os.environ.get("DJANGO_STORAGE", "").strip().lower() or "filesystem"
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"DJANGO_STORAGE 应为 filesystem 或 s3，现在是 {kind!r}")
    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured(
            "DJANGO_STORAGE=s3 需要 django-storages：.venv/bin/pip install 'django-storages[s3]'"
        )
    bucket = os.environ.get("DJANGO_S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("DJANGO_STORAGE=s3 需要 DJANGO_S3_BUCKET（存储桶名）")
    # Credentials come from boto3's own environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
    # or the host's role. Objects are private; nothing links to them: views stream them.
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("DJANGO_S3_ENDPOINT_URL", "").strip() or None,
            "region_name": os.environ.get("DJANGO_S3_REGION", "").strip() or None,
            "location": os.environ.get("DJANGO_S3_PREFIX", "").strip(),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


# Stored files are the application's alone (a shared mount is mounted for its user only).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": _file_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Django's cache, shared by every host through Redis when REDIS_URL names one; otherwise each
# process keeps its own (enough for one server). Sessions, the login lockout (django-axes)
# and the task queue live in the database, shared by every host either way.
_REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if _REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
            "KEY_PREFIX": "aidcase",
        }
    }

# A session lasts at most 8 hours from login (absolute) and ends after 30 minutes without a
# request (idle; aidcase.middleware.SessionTimeoutMiddleware).
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_IDLE_SECONDS = 30 * 60
SESSION_COOKIE_HTTPONLY = True
# A refused CSRF check answers with a page in the user's language, sized for a phone.
CSRF_FAILURE_VIEW = "aidcase.views.csrf_failure"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Every script is a file served by the app and carries the request's nonce; no inline script,
# event handler or style attribute is allowed anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    # The teacher's offline pages: the service worker and the manifest come from the app.
    "worker-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
}

HTTPS = env_flag("DJANGO_HTTPS", default=not DEBUG)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_flag("DJANGO_BEHIND_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background work (the ZIP of all assessment sheets) is queued in the database and run by
# `manage.py db_worker`, which `make run` starts beside the web server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Reminder e-mails (send_reminders) go to the SMTP server of the environment (the local
# mail server when none is named); a message that cannot be sent stays an in-app reminder.
# In debug mode without a server they are written to the console instead.
_EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "").strip()
MAILERS = {
    "default": (
        {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
        if DEBUG and not _EMAIL_HOST
        else {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST or "localhost",
                "port": int(os.environ.get("DJANGO_EMAIL_PORT", "465" if _EMAIL_HOST else "25")),
                "username": os.environ.get("DJANGO_EMAIL_USER", ""),
                "password": os.environ.get("DJANGO_EMAIL_PASSWORD", ""),
                "use_ssl": env_flag("DJANGO_EMAIL_SSL", default=bool(_EMAIL_HOST)),
                "timeout": 20,
            },
        }
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_EMAIL_FROM", "AidCase <noreply@localhost>")

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Encrypts backups (governance.backup). Not derived from SECRET_KEY and never written to the
# database or into a backup: whoever holds a backup file without it reads nothing.
BACKUP_KEY = os.environ.get("AIDCASE_BACKUP_KEY", "")

# Retention (`manage.py retention`, daily): graduated and transferred students are archived
# this long after they left; successful and failed login records and in-app reminders (which
# name students) are deleted after theirs.
ARCHIVE_AFTER_DAYS = env_days("AIDCASE_ARCHIVE_AFTER_DAYS", 365)
LOGIN_RECORD_DAYS = env_days("AIDCASE_LOGIN_RECORD_DAYS", 180)
REMINDER_DAYS = env_days("AIDCASE_REMINDER_DAYS", 180)
# A teacher records a visit or an incident up to this many days after its date (written on a
# phone without signal, sent when back online); older records are the aid office's to add.
LATE_DAYS = env_days("AIDCASE_LATE_DAYS", 14)

# Never log request bodies or personal data: only the logger names and messages Django emits.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
