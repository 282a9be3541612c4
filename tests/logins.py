"""Logging in through the login form from an address, as the lockout tests need it
(tests/aidcase/test_login_protection.py, tests/governance/test_lockouts.py)."""

from django.test import Client

PASSWORD = "correct-horse-battery"  # every factory user's (tests/factories.py)
HERE = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


def attempt(client: Client, username: str, password: str, address: str = HERE):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail_ten_times(username: str, address: str = HERE) -> None:
    client = Client()
    for _ in range(10):
        attempt(client, username, "not-the-password", address)


def logs_in(username: str, address: str = HERE) -> bool:
    response = attempt(Client(), username, PASSWORD, address)
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated
