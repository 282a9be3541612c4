"""ID numbers (身份证号) encrypted at rest.

The column holds AES-256-GCM ciphertext ("v1:" + urlsafe base64 of nonce and ciphertext), so a
dump of the database or a backup shows no number. Exact search goes through a second column,
an HMAC-SHA256 of the normalised number. Both keys are derived from settings.ID_NUMBER_KEY (the
environment's AIDCASE_ID_KEY), which is never stored in the database.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from students import idcard

PREFIX = "v1:"
NONCE_BYTES = 12


class UnreadableIdNumber(Exception):
    """The stored ciphertext does not open with the configured key."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@functools.cache
def _keys(master: str) -> tuple[bytes, bytes]:
    try:
        raw = base64.urlsafe_b64decode(master.encode())
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured("AIDCASE_ID_KEY is not urlsafe base64") from error
    if len(raw) != 32:
        raise ImproperlyConfigured("AIDCASE_ID_KEY must decode to 32 bytes")

    def derive(purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(raw)

    return derive(b"aidcase id-number encryption"), derive(b"aidcase id-number lookup")


def check_key(master: str) -> None:
    """Raises ImproperlyConfigured unless `master` is a well-formed key."""
    _keys(master)


def lookup_hash(number: str, *, master: str | None = None) -> str:
    """The keyed hash that finds a number by exact search ("" for no number). `master` is
    the key to use, the configured one by default (another only while rotating keys)."""
    number = idcard.normalize(number or "")
    if not number:
        return ""
    key = _keys(master or settings.ID_NUMBER_KEY)[1]
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def encrypt(number: str, *, master: str | None = None) -> str:
    if not number:
        return ""
    nonce = secrets.token_bytes(NONCE_BYTES)
    key = _keys(master or settings.ID_NUMBER_KEY)[0]
    sealed = AESGCM(key).encrypt(nonce, number.encode(), PREFIX.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(stored: str, *, master: str | None = None) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise UnreadableIdNumber("not an encrypted ID number")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode())
        key = _keys(master or settings.ID_NUMBER_KEY)[0]
        opened = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], PREFIX.encode())
    except (binascii.Error, ValueError, InvalidTag) as error:
        raise UnreadableIdNumber("the ID number does not open with AIDCASE_ID_KEY") from error
    return opened.decode()


class _IdNumberDescriptor(DeferredAttribute):
    """Keeps the lookup column in step with the number whenever the number is assigned, so that
    save(), bulk_create() and bulk_update() all write a matching hash."""

    field: "EncryptedIdNumberField"

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value
        if self.field.hash_field:
            instance.__dict__[self.field.hash_field] = lookup_hash(value or "")


class EncryptedIdNumberField(models.CharField):
    """A CharField whose value is the plain number in Python and ciphertext in the database.
    `hash_field` names the CharField that holds the lookup hash."""

    descriptor_class = _IdNumberDescriptor

    def __init__(self, *args: Any, hash_field: str = "", **kwargs: Any) -> None:
        self.hash_field = hash_field
        kwargs.setdefault("max_length", 100)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        return decrypt(value) if value else ""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""

    def formfield(self, **kwargs: Any) -> Any:
        # Forms see the number, 18 characters at most, not the ciphertext's width.
        return models.CharField(max_length=18, blank=self.blank).formfield(
            label=self.verbose_name, **kwargs
        )
