"""Every page holds children's data or acts on it: walking the URL conf, each route except
the public ones sends an anonymous visitor to the login page, for GET and for POST."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Logout only accepts POST and, for a visitor who is not logged in, just lands on login.
# The questionnaire's one-time link is answered without an account (its token is the key).
PUBLIC = {"login", "logout", "set_language", "questionnaire_answer"}


def routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin has its own login
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def concrete(pattern: str) -> str:
    return "/" + re.sub(r"<str:\w+>", "x", re.sub(r"<int:\w+>", "1", pattern))


ROUTES = sorted({(name, concrete(path)) for name, path in routes() if name not in PUBLIC})


def test_every_route_has_a_name_and_no_unexpected_converter():
    for name, path in ROUTES:
        assert name, path
        assert "<" not in path, f"{path}: add its converter to concrete()"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[name for name, _ in ROUTES])
def test_anonymous_visitors_are_sent_to_login(client, name, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == 302, f"{name} {method.upper()} {path}"
    assert response["Location"].startswith("/accounts/login/?next="), name
