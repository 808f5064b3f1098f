"""The legacy API v2 primitives, for contrast with API v3.

API v2 callbacks are XML signed with the APIv2 key: MD5 or HMAC-SHA256 over the
non-empty fields sorted by name and joined as `k=v&...&key=APIV2KEY`, upper-case hex.
Refund notifications carry no signature at all; their `req_info` is AES-256-ECB with
PKCS#7 padding under the lower-case hex MD5 of the APIv2 key. The APIv2 key is a
different secret from the APIv3 key, and mixing them up is a common fault.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SIGN_TYPES = ("MD5", "HMAC-SHA256")


def string_to_sign(params: Mapping[str, str]) -> str:
    """Return `stringA`: non-empty fields except `sign`, sorted by name, joined as k=v&..."""
    return "&".join(f"{name}={value}" for name, value in sorted(params.items()) if value != "" and name != "sign")


def apiv2_sign(params: Mapping[str, str], apiv2_key: str, sign_type: str = "MD5") -> str:
    """Compute an API v2 sign (upper-case hex) with MD5 or HMAC-SHA256.

    Raises:
        ValueError: `sign_type` is neither MD5 nor HMAC-SHA256.
    """
    data = (string_to_sign(params) + "&key=" + apiv2_key).encode("utf-8")
    if sign_type == "MD5":
        return hashlib.md5(data).hexdigest().upper()
    if sign_type == "HMAC-SHA256":
        return hmac.new(apiv2_key.encode("utf-8"), data, hashlib.sha256).hexdigest().upper()
    raise ValueError(f"sign_type must be one of {', '.join(SIGN_TYPES)}; got {sign_type!r}")


def aes_ecb_encrypt(key: bytes, plaintext: bytes) -> str:
    """Encrypt with AES-ECB and PKCS#7 padding, returning base64 (the req_info format)."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def aes_ecb_decrypt(key: bytes, ciphertext_b64: str) -> bytes:
    """Decrypt base64 AES-ECB with PKCS#7 padding.

    Raises:
        ValueError: the input is not base64, not whole blocks, or the padding is invalid
            (ECB has no authentication, so a wrong key usually shows up here).
    """
    data = base64.b64decode(ciphertext_b64, validate=True)
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def refund_req_info_key(apiv2_key: str) -> bytes:
    """Return the req_info key: the 32-character lower-case hex MD5 of the APIv2 key."""
    return hashlib.md5(apiv2_key.encode("utf-8")).hexdigest().encode("ascii")
