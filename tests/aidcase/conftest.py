import logging

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from tests.access import build_world, media_root

# The roles the world's users play, each logged in once for the module.
WORLD_ROLES = ("teacher", "office", "principal", "county", "county_admin")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world of tests/access.py, built once for the module with a session per role (the
    access matrix and the route fuzzer); each test runs in a savepoint rolled back after it."""
    media = media_root(tmp_path_factory.mktemp("access"))
    overrides = override_settings(
        MEDIA_ROOT=media,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    overrides.enable()
    # Hundreds of refusals are the point here: their warnings would only slow the module.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world(media=media)
            for role in WORLD_ROLES:
                client = Client()
                client.force_login(built.actor(role))
                built.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_log.setLevel(level)
            overrides.disable()
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    request_log.setLevel(level)
    overrides.disable()
