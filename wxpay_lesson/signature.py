"""The WECHATPAY2-SHA256-RSA2048 signature over a callback.

WeChat Pay signs the message `timestamp\\nnonce\\nbody\\n`: the Wechatpay-Timestamp and
Wechatpay-Nonce header values as received, then the raw HTTP body byte for byte, each
followed by one LF (0x0A), the last one included. The signature is SHA256withRSA with
PKCS#1 v1.5 padding, sent in standard base64 in Wechatpay-Signature.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import InvalidSignatureError

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"


def _to_bytes(value: str | bytes | int, name: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be str, bytes or int; got bool")
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"{name} must be str, bytes or int; got {type(value).__name__}")


def build_message(timestamp: str | bytes | int, nonce: str | bytes, body: bytes) -> bytes:
    """Build the signed message `timestamp\\nnonce\\nbody\\n` from the raw body bytes.

    Raises:
        TypeError: `body` is not bytes. Pass the raw request body, not parsed JSON or a
            decoded string: any re-encoding changes the bytes that were signed.
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"body must be the raw request body bytes; got {type(body).__name__}. "
            "Read the body once, as bytes, before any JSON parsing or decoding"
        )
    return b"".join((_to_bytes(timestamp, "timestamp"), b"\n", _to_bytes(nonce, "nonce"), b"\n", bytes(body), b"\n"))


def decode_signature(signature: str) -> bytes:
    """Decode a Wechatpay-Signature value, accepting only standard padded base64.

    Raises:
        InvalidSignatureError: the value is not strict base64.
    """
    try:
        return base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidSignatureError("Wechatpay-Signature is not standard base64") from None


def verify_signature(public_key: rsa.RSAPublicKey, message: bytes, signature: str | bytes) -> None:
    """Verify SHA256withRSA (PKCS#1 v1.5) over `message`.

    Args:
        public_key: the platform certificate's key or the WeChat Pay public key.
        message: the signed bytes, usually from `build_message`.
        signature: the Wechatpay-Signature header (base64 text) or the decoded bytes.

    Raises:
        InvalidSignatureError: the signature is not base64, has the wrong length for the
            key, or does not match the message.
    """
    raw = decode_signature(signature) if isinstance(signature, str) else bytes(signature)
    expected_length = (public_key.key_size + 7) // 8
    if len(raw) != expected_length:
        raise InvalidSignatureError(
            f"signature is {len(raw)} bytes; an RSA-{public_key.key_size} signature is {expected_length} bytes"
        )
    try:
        public_key.verify(raw, bytes(message), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise InvalidSignatureError(
            "signature does not match timestamp, nonce and body. Check that the body is the raw "
            "request bytes (not re-serialised JSON, not re-decoded text, not empty) and that the "
            "message is built with LF line endings and a final LF"
        ) from None


def sign_message(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    """Sign `message` with SHA256withRSA (PKCS#1 v1.5) and return standard base64 text.

    This is the platform's side, used by the simulated WeChat Pay platform.
    """
    raw = private_key.sign(bytes(message), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")
