"""Typed errors for callback verification and their HTTP replies.

Every failure of `CallbackVerifier.verify` is a `CallbackError` subclass with a stable
`code` and the `http_status` the merchant should reply with. WeChat Pay treats only 200
and 204 as received and retries on any 4xx or 5xx, so the status decides whether the
notification comes back.

No message or attribute of these errors carries the APIv3 key, a decrypted plaintext
or the request body, so they are safe to log.
"""

from __future__ import annotations

from collections.abc import Sequence


class ApiV3KeyError(ValueError):
    """The APIv3 key is missing, not text or bytes, or not 32 bytes long."""

    code = "INVALID_API_V3_KEY"


class KeyConfigError(ValueError):
    """An entry of the `public_keys` mapping cannot be used to verify callbacks."""

    code = "INVALID_PUBLIC_KEY_CONFIG"


class CallbackError(Exception):
    """Base class of every rejection of a payment callback.

    Attributes:
        code: stable machine-readable reason, for logs, tests and the doctor.
        http_status: the status to reply with. 4xx for authentication and format
            failures, 5xx where the notification is genuine but we cannot process it.
        reply_message: short text for the reply body; it names the failed check only.
    """

    code = "CALLBACK_ERROR"
    http_status = 400
    reply_message = "callback rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingHeaderError(CallbackError):
    """A required Wechatpay-* header is absent or empty."""

    code = "MISSING_HEADER"
    http_status = 401
    reply_message = "missing signature header"

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


class MalformedHeaderError(CallbackError):
    """A Wechatpay-* header is present but its value has the wrong format."""

    code = "MALFORMED_HEADER"
    http_status = 400
    reply_message = "malformed signature header"

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


class UnsupportedSignatureTypeError(CallbackError):
    """Wechatpay-Signature-Type names a scheme other than WECHATPAY2-SHA256-RSA2048."""

    code = "UNSUPPORTED_SIGNATURE_TYPE"
    http_status = 401
    reply_message = "unsupported signature type"

    def __init__(self, signature_type: str, message: str) -> None:
        super().__init__(message)
        self.signature_type = signature_type


class TimestampOutOfWindowError(CallbackError):
    """Wechatpay-Timestamp is too far from the verifier's clock, in the past or future."""

    code = "TIMESTAMP_OUT_OF_WINDOW"
    http_status = 401
    reply_message = "timestamp out of window"

    def __init__(self, timestamp: int, now: float, max_clock_skew: float, message: str) -> None:
        super().__init__(message)
        self.timestamp = timestamp
        self.now = now
        self.max_clock_skew = max_clock_skew
        # Positive when the timestamp is in the past, negative when it is in the future.
        self.skew_seconds = now - timestamp


class UnknownSerialError(CallbackError):
    """Wechatpay-Serial names no loaded platform certificate or WeChat Pay public key."""

    code = "UNKNOWN_SERIAL"
    http_status = 401
    reply_message = "unknown Wechatpay-Serial"

    def __init__(self, serial: str, known_serials: Sequence[str], message: str) -> None:
        super().__init__(message)
        self.serial = serial
        self.known_serials = tuple(known_serials)


class InvalidSignatureError(CallbackError):
    """The RSA signature does not match the timestamp, nonce and raw body."""

    code = "INVALID_SIGNATURE"
    http_status = 401
    reply_message = "signature verification failed"


class SignatureProbeError(InvalidSignatureError):
    """The signature starts with WECHATPAY/SIGNTEST/: WeChat Pay's deliberate probe.

    WeChat Pay sends a few callbacks with a broken signature to check that merchants
    verify. The right reply is the ordinary failure reply; WeChat Pay then resends the
    notification with a valid signature.

    NOTE: the official section on probe traffic could not be read. The prefix comes from
    WeChat Pay's FAQ (doc 4016241880); the advice to reply non-2xx comes from WeChat Pay's
    integration guide and an official SDK maintainer. An older guide warns that failing
    probes may mark the URL unavailable; every source agrees that a 2xx is wrong.
    """

    code = "SIGNATURE_PROBE"


class MalformedNotificationError(CallbackError):
    """The signed body or the decrypted plaintext is not the expected JSON."""

    code = "MALFORMED_NOTIFICATION"
    http_status = 400
    reply_message = "malformed notification"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedAlgorithmError(CallbackError):
    """resource.algorithm names an algorithm other than AEAD_AES_256_GCM.

    Replies 500: the notification is genuine, so WeChat Pay should retry it once the
    merchant supports the algorithm.
    """

    code = "UNSUPPORTED_ALGORITHM"
    http_status = 500
    reply_message = "unsupported resource algorithm"

    def __init__(self, algorithm: str, message: str) -> None:
        super().__init__(message)
        self.algorithm = algorithm


class DecryptionError(CallbackError):
    """AES-GCM decryption of the resource failed.

    Replies 500: a notification whose signature verified but that does not decrypt
    means our own APIv3 key is wrong, so WeChat Pay must retry once it is fixed.

    Attributes:
        reason: `authentication_failed`, `ciphertext_too_short`, `invalid_base64` or
            `invalid_nonce_length`.
    """

    code = "DECRYPTION_FAILED"
    http_status = 500
    reply_message = "resource decryption failed"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class BusinessMismatchError(CallbackError):
    """A verified notification does not match the merchant's own order record."""

    code = "BUSINESS_MISMATCH"
    http_status = 400
    reply_message = "notification does not match the order"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
