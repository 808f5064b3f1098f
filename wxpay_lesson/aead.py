"""AEAD_AES_256_GCM decryption of a notification's `resource`.

`resource.ciphertext` is base64 of the AES-GCM ciphertext followed by the 16-byte tag.
The key is the merchant's APIv3 key used as raw bytes, the nonce is `resource.nonce`
(12 ASCII characters) and the associated data is `resource.associated_data`, which may be
empty. WeChat Pay documents the APIv3 key as 32 bytes. The official SDKs' own test vectors
use 16-byte keys, so the primitives here accept 16, 24 and 32 bytes, while
`CallbackVerifier` insists on 32.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import ApiV3KeyError, DecryptionError

ALGORITHM = "AEAD_AES_256_GCM"
TAG_BYTES = 16
NONCE_BYTES = 12
AES_KEY_LENGTHS = (16, 24, 32)
API_V3_KEY_BYTES = 32

AUTHENTICATION_FAILED_CAUSES = (
    "the APIv3 key is wrong (changed in the merchant platform, or the APIv2 key used by mistake), "
    "or the ciphertext, nonce or associated_data was changed or truncated"
)


def key_bytes(api_v3_key: str | bytes, *, allowed_lengths: tuple[int, ...] = (API_V3_KEY_BYTES,)) -> bytes:
    """Return the APIv3 key as bytes, checking its type and length.

    Raises:
        ApiV3KeyError: the key is not str or bytes, or its length is not allowed. The
            message gives the length found, never the key.
    """
    if isinstance(api_v3_key, str):
        raw = api_v3_key.encode("utf-8")
    elif isinstance(api_v3_key, (bytes, bytearray)):
        raw = bytes(api_v3_key)
    else:
        raise ApiV3KeyError(f"the APIv3 key must be str or bytes; got {type(api_v3_key).__name__}")

    if len(raw) not in allowed_lengths:
        expected = " or ".join(str(n) for n in allowed_lengths)
        hint = ""
        if raw.strip() != raw:
            hint = " It starts or ends with whitespace: strip the newline read from the key file."
        elif len(raw) == 0:
            hint = " Set the APIv3 key from the merchant platform (API安全)."
        raise ApiV3KeyError(f"the APIv3 key must be {expected} bytes; got {len(raw)}.{hint}")
    return raw


def decrypt_resource(
    api_v3_key: str | bytes,
    nonce: str | bytes,
    associated_data: str | bytes | None,
    ciphertext: str | bytes,
) -> bytes:
    """Decrypt and authenticate an AEAD_AES_256_GCM resource.

    Args:
        api_v3_key: 16, 24 or 32 bytes (text is UTF-8 encoded).
        nonce: `resource.nonce`, 12 bytes.
        associated_data: `resource.associated_data`; None is the same as empty.
        ciphertext: `resource.ciphertext`, base64 of ciphertext plus the 16-byte tag.

    Returns:
        The plaintext bytes. No bytes are returned unless the tag verifies.

    Raises:
        ApiV3KeyError: the key is not 16, 24 or 32 bytes.
        DecryptionError: with `reason` `invalid_base64`, `invalid_nonce_length`,
            `ciphertext_too_short` or `authentication_failed`.
    """
    key = key_bytes(api_v3_key, allowed_lengths=AES_KEY_LENGTHS)
    nonce_raw = nonce.encode("utf-8") if isinstance(nonce, str) else bytes(nonce)
    aad = b"" if associated_data is None else (
        associated_data.encode("utf-8") if isinstance(associated_data, str) else bytes(associated_data))

    try:
        sealed = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("invalid_base64", "resource.ciphertext is not standard base64") from None

    if len(nonce_raw) != NONCE_BYTES:
        raise DecryptionError(
            "invalid_nonce_length",
            f"resource.nonce must be {NONCE_BYTES} bytes; got {len(nonce_raw)}",
        )
    if len(sealed) < TAG_BYTES:
        raise DecryptionError(
            "ciphertext_too_short",
            f"resource.ciphertext decodes to {len(sealed)} bytes, shorter than the "
            f"{TAG_BYTES}-byte GCM tag; it was truncated",
        )

    try:
        return AESGCM(key).decrypt(nonce_raw, sealed, aad)
    except InvalidTag:
        raise DecryptionError(
            "authentication_failed",
            "AES-GCM authentication failed: " + AUTHENTICATION_FAILED_CAUSES,
        ) from None


def encrypt_resource(api_v3_key: str | bytes, nonce: str | bytes, associated_data: str | bytes | None, plaintext: bytes) -> str:
    """Encrypt `plaintext` as WeChat Pay does and return base64 of ciphertext plus tag.

    This is the platform's side, used by the simulated WeChat Pay platform.
    """
    key = key_bytes(api_v3_key, allowed_lengths=AES_KEY_LENGTHS)
    nonce_raw = nonce.encode("utf-8") if isinstance(nonce, str) else bytes(nonce)
    if len(nonce_raw) != NONCE_BYTES:
        raise ValueError(f"nonce must be {NONCE_BYTES} bytes; got {len(nonce_raw)}")
    aad = b"" if associated_data is None else (
        associated_data.encode("utf-8") if isinstance(associated_data, str) else bytes(associated_data))
    return base64.b64encode(AESGCM(key).encrypt(nonce_raw, plaintext, aad)).decode("ascii")
