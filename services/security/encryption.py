"""Encryption of secrets the server must read back (data-source credentials), at rest.

AES-256-GCM with a key derived from the app secret by HKDF-SHA256 under its own `info` label,
so the JWT signing key and this key differ even though both come from one secret. The blob is
`version byte | 12-byte nonce | ciphertext+tag`; the caller passes `context` (the row's table
and id) as associated data, so a ciphertext copied onto another row does not decrypt.

Changing AIPLATFORM_SECRET_KEY makes existing blobs unreadable: rotate by re-encrypting.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.settings import Settings, secret_key

VERSION = b"\x01"
NONCE_BYTES = 12
CONNECTION_INFO = b"aiplatform/data-source-connection-info/v1"


class DecryptionError(Exception):
    """The blob was not made with this key and context (or was tampered with)."""


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose, derived from the app secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode())


def connection_info_key(settings: Settings) -> bytes:
    return derive_key(secret_key(settings), CONNECTION_INFO)


def encrypt_json(key: bytes, value: Any, *, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, orjson.dumps(value), context)


def decrypt_json(key: bytes, blob: bytes, *, context: bytes) -> Any:
    if blob[:1] != VERSION or len(blob) < 1 + NONCE_BYTES + 16:
        raise DecryptionError("unknown encryption format")
    nonce, ciphertext = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
    try:
        return orjson.loads(AESGCM(key).decrypt(nonce, ciphertext, context))
    except InvalidTag:
        raise DecryptionError("wrong key or context, or tampered data") from None


def row_context(table: str, row_id: object) -> bytes:
    """Associated data binding a blob to one row."""
    return f"{table}:{row_id}".encode()
