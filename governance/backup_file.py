"""The encrypted file of a backup (governance.backup): its key and its stream of chunks.

The file (format version 1) is
    header  = b"AIDCBKP" | version (1 byte) | salt (16 bytes) | key check (16 bytes)
    chunk*  = ciphertext length (4 bytes, big-endian) | AES-256-GCM ciphertext and tag
The key of the file is derived from AIDCASE_BACKUP_KEY and the salt (HKDF-SHA256), so that no
two files share a key and a chunk's nonce can simply be its index. Every chunk's associated data
is the header, the chunk's index and whether it is the last chunk: a changed header, reordered,
missing or cut-off chunks and a file cut at a chunk boundary all fail authentication. The key
check (another HKDF output) tells a wrong key from a damaged file.
"""

import base64
import binascii
import hashlib
import hmac
import io
import secrets
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
MAGIC = b"AIDCBKP"
HEADER = struct.Struct(">7sB16s16s")  # magic, version, salt, key check
FRAME = struct.Struct(">I")
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16
KEY_BYTES = 32


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the operator, in Chinese,
    and names no person."""


# --- keys and the encrypted stream ----------------------------------------------------------


def backup_key_generate() -> str:
    """A fresh key for AIDCASE_BACKUP_KEY: 32 random bytes, urlsafe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def key_bytes(key: str) -> bytes:
    text = (key or "").strip()
    if not text:
        raise BackupError(
            _(
                "未设置环境变量 AIDCASE_BACKUP_KEY。请用 manage.py backup --generate-key 生成密钥，"
                "设置到环境中，并把它另行妥善保存：没有这个密钥，备份无法恢复。"
            )
        )
    if text in {settings.SECRET_KEY, getattr(settings, "ID_NUMBER_KEY", "")}:
        raise BackupError(
            _(
                "AIDCASE_BACKUP_KEY 不能与 DJANGO_SECRET_KEY 或 AIDCASE_ID_KEY 相同，"
                "请用 manage.py backup --generate-key 生成一个单独的密钥。"
            )
        )
    try:
        standard = text.replace("-", "+").replace("_", "/")
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise BackupError(
            _(
                "AIDCASE_BACKUP_KEY 无效：应为 32 字节随机数的 base64 编码，"
                "请用 manage.py backup --generate-key 生成。"
            )
        )
    return raw


def _derive(key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """The file's data key and the key check stored in its header."""

    def hkdf(info: bytes, length: int) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)

    return hkdf(b"aidcase backup v1 data", 32), hkdf(b"aidcase backup v1 key check", 16)


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _associated_data(header: bytes, index: int, final: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def damaged() -> BackupError:
    return BackupError(
        _("备份文件已损坏或不完整（校验失败），未做任何更改。请换一个完好的备份文件。")
    )


class EncryptingWriter:
    """A write-only stream that seals what it is given into chunks. The last chunk is sealed
    by close(), flagged as the last."""

    def __init__(self, out: BinaryIO, key: bytes) -> None:
        salt = secrets.token_bytes(16)
        data_key, check = _derive(key, salt)
        self._header = HEADER.pack(MAGIC, FORMAT_VERSION, salt, check)
        self._aead = AESGCM(data_key)
        self._out = out
        self._buffer = bytearray()
        self._index = 0
        self._position = 0
        self._closed = False
        out.write(self._header)

    def _seal(self, plain: bytes, *, final: bool) -> None:
        sealed = self._aead.encrypt(
            _nonce(self._index), plain, _associated_data(self._header, self._index, final)
        )
        self._out.write(FRAME.pack(len(sealed)))
        self._out.write(sealed)
        self._index += 1

    def write(self, data: bytes, /) -> int:
        self._buffer += data
        self._position += len(data)
        # Strictly more than a chunk: what is left at the end becomes the final chunk.
        while len(self._buffer) > CHUNK_SIZE:
            self._seal(bytes(self._buffer[:CHUNK_SIZE]), final=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def close(self) -> None:
        if not self._closed:
            self._seal(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._closed = True

    def read(self, size: int, /) -> bytes:
        raise io.UnsupportedOperation("write-only")

    def tell(self) -> int:
        return self._position

    def seek(self, pos: int, /) -> int:
        raise io.UnsupportedOperation("not seekable")


class DecryptingReader:
    """A read-only stream of the plaintext of a backup file. Raises BackupError for a file that
    is not a backup, a wrong key, or any damage; finish() authenticates up to the last chunk."""

    def __init__(self, source: BinaryIO, key: bytes) -> None:
        header = source.read(HEADER.size)
        if len(header) < HEADER.size or not header.startswith(MAGIC):
            raise BackupError(_("这不是 AidCase 备份文件（文件头不对），未做任何更改。"))
        _magic, version, salt, check = HEADER.unpack(header)
        if version != FORMAT_VERSION:
            raise BackupError(
                _("备份文件格式版本 %(version)s 不受本版本 AidCase 支持，未做任何更改。")
                % {"version": version}
            )
        data_key, expected = _derive(key, salt)
        if not hmac.compare_digest(check, expected):
            raise BackupError(
                _(
                    "密钥不对：AIDCASE_BACKUP_KEY 不是做这份备份时用的密钥（或文件头已损坏），"
                    "未做任何更改。请设置做备份时的密钥后重试。"
                )
            )
        self._header = header
        self._aead = AESGCM(data_key)
        self._source = source
        self._index = 0
        self._pending = source.read(FRAME.size)  # the next frame's length, read ahead
        self._finished = False
        self._chunk = b""
        self._offset = 0
        self._position = 0

    def _next_chunk(self) -> bytes:
        if len(self._pending) != FRAME.size:
            raise damaged()
        (length,) = FRAME.unpack(self._pending)
        if not TAG_SIZE <= length <= CHUNK_SIZE + TAG_SIZE:
            raise damaged()
        sealed = self._source.read(length)
        if len(sealed) != length:
            raise damaged()
        self._pending = self._source.read(FRAME.size)
        final = not self._pending
        try:
            plain = self._aead.decrypt(
                _nonce(self._index), sealed, _associated_data(self._header, self._index, final)
            )
        except InvalidTag:
            raise damaged() from None
        self._index += 1
        self._finished = final
        return plain

    def read(self, size: int = -1, /) -> bytes:
        parts: list[bytes] = []
        wanted = size if size >= 0 else None
        while wanted is None or wanted > 0:
            if self._offset == len(self._chunk):
                if self._finished:
                    break
                self._chunk, self._offset = self._next_chunk(), 0
                continue
            end = (
                len(self._chunk) if wanted is None else min(len(self._chunk), self._offset + wanted)
            )
            parts.append(self._chunk[self._offset : end])
            if wanted is not None:
                wanted -= end - self._offset
            self._offset = end
        data = b"".join(parts)
        self._position += len(data)
        return data

    def finish(self) -> None:
        """Reads and authenticates the rest of the file, up to its last chunk."""
        while not self._finished:
            self._chunk, self._offset = self._next_chunk(), 0

    def write(self, b: bytes, /) -> int:
        raise io.UnsupportedOperation("read-only")

    def tell(self) -> int:
        return self._position

    def seek(self, pos: int, /) -> int:
        raise io.UnsupportedOperation("not seekable")

    def close(self) -> None:
        pass


class HashingReader:
    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._source.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data
