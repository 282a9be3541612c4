"""Every page holds children's data or acts on it: walking the URL conf, each route except
the public ones sends an anonymous visitor to the login page, for GET and for POST."""

import re

import pytest

from tests.access import PUBLIC, routes


def concrete(pattern: str) -> str:
    return "/" + re.sub(r"<str:\w+>", "x", re.sub(r"<(?:int|id):\w+>", "1", pattern))


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
