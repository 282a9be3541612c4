"""Settings of the gunicorn that tests/aidcase/test_sqlite_concurrency.py starts: the real
settings (the database from DATABASE_URL, a SQLite file there), with a fast password hasher,
since twenty logins with the production hasher would spend the test's time hashing, and
static files served from the source folders, as the suite never runs collectstatic."""

from aidcase.settings import *  # noqa: F403
from aidcase.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
