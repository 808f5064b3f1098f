"""wxpay_lesson: verify, decrypt and reply to WeChat Pay API v3 payment callbacks.

The verifier (`CallbackVerifier`) is the merchant side; `SimulatedPlatform` is the
WeChat Pay side, signing and encrypting exactly as the real platform does with fixed
test keys, so that no network or merchant account is needed.
"""

from __future__ import annotations

from .aead import decrypt_resource, encrypt_resource
from .errors import (
    ApiV3KeyError,
    BusinessMismatchError,
    CallbackError,
    DecryptionError,
    InvalidSignatureError,
    KeyConfigError,
    MalformedHeaderError,
    MalformedNotificationError,
    MissingHeaderError,
    SignatureProbeError,
    TimestampOutOfWindowError,
    UnknownSerialError,
    UnsupportedAlgorithmError,
    UnsupportedSignatureTypeError,
)
from .keys import KeyRegistry, certificate_serial
from .notification import CallbackVerifier, Notification, Refund, Transaction, reply
from .signature import build_message, sign_message, verify_signature
from .simulator import SimulatedPlatform
from .testkeys import load_test_keys

__version__ = "0.1.0"

__all__ = [
    "ApiV3KeyError",
    "BusinessMismatchError",
    "CallbackError",
    "CallbackVerifier",
    "DecryptionError",
    "InvalidSignatureError",
    "KeyConfigError",
    "KeyRegistry",
    "MalformedHeaderError",
    "MalformedNotificationError",
    "MissingHeaderError",
    "Notification",
    "Refund",
    "SignatureProbeError",
    "SimulatedPlatform",
    "TimestampOutOfWindowError",
    "Transaction",
    "UnknownSerialError",
    "UnsupportedAlgorithmError",
    "UnsupportedSignatureTypeError",
    "__version__",
    "build_message",
    "certificate_serial",
    "decrypt_resource",
    "encrypt_resource",
    "load_test_keys",
    "reply",
    "sign_message",
    "verify_signature",
]
