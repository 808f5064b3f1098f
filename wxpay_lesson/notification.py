"""The callback verifier: from raw headers and body to a decrypted, typed notification.

`CallbackVerifier.verify` runs the checks in the order the protocol requires, and stops
at the first failure with its own `CallbackError` subclass:

1. the four Wechatpay-* headers are present and non-empty;
2. their values have valid formats;
3. Wechatpay-Signature-Type is absent or WECHATPAY2-SHA256-RSA2048;
4. Wechatpay-Timestamp is within the clock-skew window, past or future;
5. Wechatpay-Serial names a loaded key;
6. the signature is not WeChat Pay's WECHATPAY/SIGNTEST/ probe;
7. the RSA signature matches `timestamp\\nnonce\\nbody\\n` over the raw body bytes;
8. the body is a UTF-8 JSON envelope with the required fields;
9. resource.algorithm is AEAD_AES_256_GCM;
10. the resource decrypts and authenticates under the APIv3 key;
11. the plaintext is UTF-8 JSON, with typed views for transactions and refunds.

Nothing is parsed before the signature has verified, and nothing is decrypted before
the envelope has been checked.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .aead import ALGORITHM, API_V3_KEY_BYTES, decrypt_resource, key_bytes
from .errors import (
    ApiV3KeyError,
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
from .keys import KeyMaterial, KeyRegistry, RegisteredKey, is_public_key_id, is_valid_serial
from .signature import PROBE_PREFIX, SIGNATURE_TYPE, build_message, decode_signature, verify_signature

logger = logging.getLogger(__name__)

HEADER_SERIAL = "Wechatpay-Serial"
HEADER_SIGNATURE = "Wechatpay-Signature"
HEADER_TIMESTAMP = "Wechatpay-Timestamp"
HEADER_NONCE = "Wechatpay-Nonce"
HEADER_SIGNATURE_TYPE = "Wechatpay-Signature-Type"
REQUIRED_HEADERS = (HEADER_SERIAL, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_NONCE)

# NOTE: WeChat Pay recommends rejecting timestamps more than 5 minutes off, but the
# official page could only be read as quoted elsewhere. wechatpay-go rejects a distance
# of 300 s or more, and so does this verifier.
DEFAULT_MAX_CLOCK_SKEW = 300
DEFAULT_MIN_REFRESH_INTERVAL = 60.0

# Unix seconds as decimal digits; 11 digits reach the year 5138.
_TIMESTAMP = re.compile(r"[0-9]{1,11}")
# Visible ASCII only. A space, CR or LF in the nonce would change the message's layout.
_NONCE = re.compile(r"[\x21-\x7e]{1,128}")
_STANDARD_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def normalize_header_name(name: str) -> str:
    """Return a header name in lower case, mapping Django's META keys to HTTP names.

    `HTTP_WECHATPAY_SERIAL` (Django's request.META) becomes `wechatpay-serial`.
    """
    lowered = name.lower()
    if lowered.startswith("http_wechatpay_"):
        lowered = lowered[len("http_"):].replace("_", "-")
    return lowered


def collect_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """Return the Wechatpay-* headers of a request under lower-case names.

    Raises:
        MalformedHeaderError: a header appears twice with different values, or a value
            is not text.
    """
    if not isinstance(headers, Mapping) and not hasattr(headers, "items"):
        raise TypeError(f"headers must be a mapping of header names to values; got {type(headers).__name__}")
    collected: dict[str, str] = {}
    for name, value in headers.items():
        if isinstance(name, (bytes, bytearray)):
            # Raw ASGI headers are bytes; HTTP header names are ASCII.
            try:
                name = bytes(name).decode("ascii")
            except UnicodeDecodeError:
                continue
        if not isinstance(name, str):
            continue
        key = normalize_header_name(name)
        if not key.startswith("wechatpay-"):
            continue
        if isinstance(value, bytes):
            try:
                value = value.decode("ascii")
            except UnicodeDecodeError:
                raise MalformedHeaderError(_canonical(key), f"{_canonical(key)} contains non-ASCII bytes") from None
        if not isinstance(value, str):
            raise MalformedHeaderError(_canonical(key), f"{_canonical(key)} must be text; got {type(value).__name__}")
        if key in collected and collected[key] != value:
            raise MalformedHeaderError(
                _canonical(key), f"{_canonical(key)} appears more than once with different values"
            )
        collected[key] = value
    return collected


def _canonical(lower_name: str) -> str:
    return "-".join(part.capitalize() for part in lower_name.split("-"))


@dataclass(frozen=True)
class CallbackHeaders:
    """The validated Wechatpay-* header values of one callback."""

    serial: str
    signature: str
    timestamp: str
    nonce: str
    signature_type: str | None

    @property
    def is_probe(self) -> bool:
        """Whether the signature is WeChat Pay's deliberate WECHATPAY/SIGNTEST/ probe."""
        return self.signature.startswith(PROBE_PREFIX)


def parse_headers(headers: Mapping[str, Any]) -> CallbackHeaders:
    """Check presence (step 1) and format (step 2) of the Wechatpay-* headers.

    Raises:
        MissingHeaderError: one of the four required headers is absent or empty.
        MalformedHeaderError: a value has the wrong format; the error names the header.
    """
    collected = collect_headers(headers)

    for name in REQUIRED_HEADERS:
        value = collected.get(name.lower())
        if value is None:
            raise MissingHeaderError(
                name,
                f"{name} header is missing. Every WeChat Pay callback carries it; check that "
                "a proxy does not drop Wechatpay-* headers and that the lookup ignores case",
            )
        if value == "":
            raise MissingHeaderError(name, f"{name} header is empty")

    serial = collected[HEADER_SERIAL.lower()]
    signature = collected[HEADER_SIGNATURE.lower()]
    timestamp = collected[HEADER_TIMESTAMP.lower()]
    nonce = collected[HEADER_NONCE.lower()]

    if not _TIMESTAMP.fullmatch(timestamp):
        raise MalformedHeaderError(
            HEADER_TIMESTAMP,
            f"{HEADER_TIMESTAMP} must be Unix seconds as decimal digits; got {timestamp[:40]!r}",
        )
    if not _NONCE.fullmatch(nonce):
        raise MalformedHeaderError(
            HEADER_NONCE, f"{HEADER_NONCE} must be 1 to 128 visible ASCII characters with no whitespace"
        )
    if not is_valid_serial(serial):
        raise MalformedHeaderError(
            HEADER_SERIAL,
            f"{HEADER_SERIAL} must be a hex certificate serial or a PUB_KEY_ID_ public-key id; "
            f"got {serial[:80]!r}",
        )
    # A probe signature is not base64 by design; step 6 rejects it with its own error.
    if not signature.startswith(PROBE_PREFIX):
        if not _STANDARD_BASE64.fullmatch(signature) or len(signature) % 4 != 0:
            raise MalformedHeaderError(HEADER_SIGNATURE, f"{HEADER_SIGNATURE} must be standard padded base64")
        # Non-zero padding bits decode to the same bytes, so one signature could be written
        # several ways. Only the canonical encoding is accepted (RFC 4648, section 3.5).
        if base64.b64encode(base64.b64decode(signature)).decode("ascii") != signature:
            raise MalformedHeaderError(
                HEADER_SIGNATURE, f"{HEADER_SIGNATURE} is not canonical base64: its padding bits are not zero"
            )

    return CallbackHeaders(
        serial=serial,
        signature=signature,
        timestamp=timestamp,
        nonce=nonce,
        signature_type=collected.get(HEADER_SIGNATURE_TYPE.lower()),
    )


# ---------------------------------------------------------------- decrypted views


def _field(data: Mapping[str, Any], path: str, kind: type | tuple[type, ...], *, required: bool, source: str) -> Any:
    value: Any = data
    walked = source
    for part in path.split("."):
        if not isinstance(value, Mapping):
            raise MalformedNotificationError(walked, f"{walked} must be a JSON object; got {type(value).__name__}")
        if part not in value:
            if required:
                raise MalformedNotificationError(f"{source}.{path}", f"{source}.{path} is missing")
            return None
        value = value[part]
        walked = f"{walked}.{part}"
    # bool is an int in Python; an amount of `true` is not a number of fen.
    if isinstance(value, bool) and kind is int:
        raise MalformedNotificationError(f"{source}.{path}", f"{source}.{path} must be an integer number of fen")
    if not isinstance(value, kind):
        if value is None and not required:
            return None
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise MalformedNotificationError(
            f"{source}.{path}", f"{source}.{path} must be {expected}; got {type(value).__name__}"
        )
    return value


def _amount(data: Mapping[str, Any], path: str, *, required: bool, source: str, minimum: int = 1) -> Any:
    value = _field(data, path, int, required=required, source=source)
    if value is not None and value < minimum:
        raise MalformedNotificationError(
            f"{source}.{path}", f"{source}.{path} must be at least {minimum} fen; got {value}"
        )
    return value


@dataclass(frozen=True)
class Transaction:
    """A decrypted `transaction` resource (TRANSACTION.* events). Amounts are int fen."""

    out_trade_no: str
    transaction_id: str | None
    trade_state: str
    mchid: str | None
    appid: str | None
    amount_total: int
    currency: str | None
    payer_total: int | None
    payer_openid: str | None = field(repr=False)
    attach: str | None = field(repr=False)
    success_time: str | None
    trade_type: str | None
    sp_mchid: str | None = None
    sub_mchid: str | None = None

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> Transaction:
        """Build the view, checking field types.

        Raises:
            MalformedNotificationError: a required field is missing or has the wrong type.
        """
        source = "resource"
        # A direct merchant's transaction has mchid; a partner-mode (服务商) one has
        # sp_mchid and sub_mchid instead.
        partner = "mchid" not in resource and "sp_mchid" in resource
        return cls(
            out_trade_no=_field(resource, "out_trade_no", str, required=True, source=source),
            transaction_id=_field(resource, "transaction_id", str, required=False, source=source),
            trade_state=_field(resource, "trade_state", str, required=True, source=source),
            mchid=_field(resource, "mchid", str, required=not partner, source=source),
            sp_mchid=_field(resource, "sp_mchid", str, required=partner, source=source),
            sub_mchid=_field(resource, "sub_mchid", str, required=partner, source=source),
            appid=_field(resource, "appid", str, required=False, source=source),
            amount_total=_amount(resource, "amount.total", required=True, source=source),
            currency=_field(resource, "amount.currency", str, required=False, source=source),
            payer_total=_amount(resource, "amount.payer_total", required=False, source=source, minimum=0),
            payer_openid=_field(resource, "payer.openid", str, required=False, source=source),
            attach=_field(resource, "attach", str, required=False, source=source),
            success_time=_field(resource, "success_time", str, required=False, source=source),
            trade_type=_field(resource, "trade_type", str, required=False, source=source),
        )


@dataclass(frozen=True)
class Refund:
    """A decrypted `refund` resource (REFUND.* events). Amounts are int fen.

    The notification calls the state `refund_status`; the refund query reply calls it
    `status`.
    """

    out_trade_no: str
    out_refund_no: str
    refund_id: str | None
    transaction_id: str | None
    refund_status: str
    mchid: str
    amount_total: int
    amount_refund: int
    success_time: str | None
    user_received_account: str | None

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> Refund:
        """Build the view, checking field types.

        Raises:
            MalformedNotificationError: a required field is missing or has the wrong type.
        """
        source = "resource"
        refund = cls(
            out_trade_no=_field(resource, "out_trade_no", str, required=True, source=source),
            out_refund_no=_field(resource, "out_refund_no", str, required=True, source=source),
            refund_id=_field(resource, "refund_id", str, required=False, source=source),
            transaction_id=_field(resource, "transaction_id", str, required=False, source=source),
            refund_status=_field(resource, "refund_status", str, required=True, source=source),
            mchid=_field(resource, "mchid", str, required=True, source=source),
            amount_total=_amount(resource, "amount.total", required=True, source=source),
            amount_refund=_amount(resource, "amount.refund", required=True, source=source),
            success_time=_field(resource, "success_time", str, required=False, source=source),
            user_received_account=_field(resource, "user_received_account", str, required=False, source=source),
        )
        if refund.amount_refund > refund.amount_total:
            raise MalformedNotificationError(
                "resource.amount.refund",
                f"resource.amount.refund ({refund.amount_refund} fen) exceeds amount.total ({refund.amount_total} fen)",
            )
        return refund


@dataclass(frozen=True)
class Notification:
    """A verified and decrypted WeChat Pay notification.

    `resource` is the decrypted object. It is left out of `repr()` so that logging a
    notification does not log the plaintext.
    """

    id: str
    create_time: str
    event_type: str
    resource_type: str
    summary: str | None
    serial: str
    original_type: str | None
    resource: dict[str, Any] = field(repr=False)
    transaction: Transaction | None = field(default=None, repr=False)
    refund: Refund | None = field(default=None, repr=False)


# ---------------------------------------------------------------- JSON helpers


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(data: bytes, source: str) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be an object, rejecting duplicate keys and NaN.

    Raises:
        MalformedNotificationError: naming `source` (`body` or `resource plaintext`).
    """
    # The typed errors are raised outside the except blocks, so that the decoding
    # exception, whose attributes contain the whole document, is not kept as __context__.
    text: str | None = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if text is None:
        raise MalformedNotificationError(source, f"{source} is not valid UTF-8")

    reason: str | None = None
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at position {exc.pos}"
    except ValueError as exc:
        reason = str(exc)[:80]
    except RecursionError:
        reason = "nested too deeply"
    if reason is not None:
        raise MalformedNotificationError(source, f"{source} is not valid JSON: {reason}")
    if not isinstance(value, dict):
        raise MalformedNotificationError(source, f"{source} must be a JSON object; got {type(value).__name__}")
    return value


# ---------------------------------------------------------------- the verifier


def _is_positive_finite(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


class CallbackVerifier:
    """Verify and decrypt WeChat Pay API v3 callbacks.

    Args:
        api_v3_key: the merchant's APIv3 key, exactly 32 bytes (str is UTF-8 encoded).
        public_keys: Wechatpay-Serial value to verification key. A value is a platform
            certificate serial (hex, any case) or a `PUB_KEY_ID_...` id; a key is an
            x509 certificate or RSA public key, as an object or as PEM text or bytes.
            Both kinds may be present at once.
        max_clock_skew: seconds; a timestamp at this distance or more from `clock()`,
            past or future, is rejected. 300 is WeChat Pay's recommended 5 minutes.
        clock: returns the current Unix time in seconds; inject a fixed clock in tests.
        refresh_keys: optional callable returning more keys, called when a serial is
            unknown (a platform certificate rotation). New keys are added; old keys stay.
        min_refresh_interval: seconds between two calls of `refresh_keys`, so that
            forged serials cannot trigger a download storm.

    Raises:
        ApiV3KeyError: the APIv3 key is not 32 bytes.
        KeyConfigError: a `public_keys` entry cannot verify callbacks.
    """

    def __init__(
        self,
        api_v3_key: str | bytes,
        public_keys: Mapping[str, KeyMaterial],
        *,
        max_clock_skew: float = DEFAULT_MAX_CLOCK_SKEW,
        clock: Callable[[], float] = time.time,
        refresh_keys: Callable[[], Mapping[str, KeyMaterial]] | None = None,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
    ) -> None:
        if isinstance(api_v3_key, str) and not api_v3_key.isascii():
            raise ApiV3KeyError(
                "the APIv3 key must be 32 ASCII characters, as the merchant platform issues it; "
                "it contains non-ASCII characters"
            )
        self._api_v3_key = key_bytes(api_v3_key, allowed_lengths=(API_V3_KEY_BYTES,))
        if public_keys is None:
            raise KeyConfigError("public_keys is missing: pass the platform certificates or WeChat Pay public key "
                                 "by Wechatpay-Serial")
        self._registry = KeyRegistry(public_keys)
        if len(self._registry) == 0 and refresh_keys is None:
            raise KeyConfigError("public_keys is empty and no refresh_keys is given, so every callback would be "
                                 "rejected; load the platform certificate or the WeChat Pay public key")
        if not _is_positive_finite(max_clock_skew):
            raise ValueError(f"max_clock_skew must be a finite positive number of seconds; got {max_clock_skew!r}")
        if not callable(clock):
            raise TypeError(f"clock must be a callable returning Unix seconds, like time.time; got {clock!r}")
        if refresh_keys is not None and not callable(refresh_keys):
            raise TypeError(f"refresh_keys must be a callable returning a mapping of keys; got {type(refresh_keys).__name__}")
        if not (_is_positive_finite(min_refresh_interval) or min_refresh_interval == 0):
            raise ValueError(
                f"min_refresh_interval must be a finite number of seconds, 0 or more; got {min_refresh_interval!r}"
            )
        self.max_clock_skew = max_clock_skew
        self.clock = clock
        self._refresh_keys = refresh_keys
        self.min_refresh_interval = min_refresh_interval
        self._last_refresh: float | None = None
        self.refresh_count = 0

    def __repr__(self) -> str:
        registry = getattr(self, "_registry", None)
        serials = registry.serials() if registry is not None else []
        return f"CallbackVerifier(serials={serials!r}, max_clock_skew={getattr(self, 'max_clock_skew', None)!r})"

    @property
    def serials(self) -> list[str]:
        """The Wechatpay-Serial values this verifier has keys for."""
        return self._registry.serials()

    def verify(self, headers: Mapping[str, Any], body: bytes) -> Notification:
        """Verify a callback and return the decrypted notification.

        Args:
            headers: the request headers, any mapping; names are case-insensitive and
                Django's `HTTP_WECHATPAY_*` META keys work too.
            body: the raw request body bytes, exactly as received.

        Raises:
            TypeError: `body` is not bytes.
            CallbackError: a subclass naming the first check that failed.
        """
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"body must be the raw request body bytes; got {type(body).__name__}. Pass "
                "request.body (Django), request.get_data() (Flask) or await request.body() "
                "(FastAPI), not parsed JSON or decoded text"
            )
        body = bytes(body)
        try:
            notification = self._verify(headers, body)
        except CallbackError as exc:
            self._log_rejection(headers, exc)
            raise
        logger.info(
            "callback verified: id=%r event_type=%r serial=%s", notification.id, notification.event_type,
            notification.serial,
        )
        return notification

    def _verify(self, headers: Mapping[str, Any], body: bytes) -> Notification:
        parsed = parse_headers(headers)

        self.check_signature_type(parsed.signature_type)

        self.check_timestamp(parsed.timestamp)

        key = self.key_for(parsed.serial)

        if parsed.is_probe:
            raise SignatureProbeError(
                "Wechatpay-Signature starts with WECHATPAY/SIGNTEST/: this is WeChat Pay's signature "
                "probe. Reply with the normal failure status; WeChat Pay resends with a valid signature"
            )

        message = build_message(parsed.timestamp, parsed.nonce, body)
        try:
            verify_signature(key.public_key, message, decode_signature(parsed.signature))
        except InvalidSignatureError:
            if body:
                raise
            raise InvalidSignatureError(
                "signature does not match and the body is empty: the request body was probably read "
                "before the verifier ran (a one-shot stream). Read it once, as bytes, and pass those bytes"
            ) from None

        envelope = parse_json_object(body, "body")
        resource = self.check_envelope(envelope)

        self.check_algorithm(resource["algorithm"])

        plaintext = self.decrypt_resource(resource)

        decrypted = parse_json_object(plaintext, "resource plaintext")
        return self.build_notification(envelope, resource, decrypted, parsed.serial)

    # Each method below is one step of `verify`, in order. They are public so that the
    # merchant's classroom demo mode can skip a step; `verify` itself always runs all.

    @staticmethod
    def check_signature_type(signature_type: str | None) -> None:
        """Step 3: raise UnsupportedSignatureTypeError unless the value is absent or the RSA type.

        Args:
            signature_type: the Wechatpay-Signature-Type header value, or None when absent
                (`CallbackHeaders.signature_type`).
        """
        # An absent header means the RSA scheme, as the official SDKs read it. An empty
        # value is rejected, because WeChat Pay never sends one; wechatpay-go would accept it.
        if signature_type is None or signature_type == SIGNATURE_TYPE:
            return
        raise UnsupportedSignatureTypeError(
            signature_type,
            f"Wechatpay-Signature-Type is {signature_type[:60]!r}; only {SIGNATURE_TYPE} is supported",
        )

    def check_timestamp(self, timestamp: str) -> None:
        """Step 4: raise TimestampOutOfWindowError unless the timestamp is within the window.

        Args:
            timestamp: the Wechatpay-Timestamp header value (decimal Unix seconds).
        """
        sent = int(timestamp)
        now = self.clock()
        if abs(now - sent) < self.max_clock_skew:
            return
        direction = "in the past" if now > sent else "in the future"
        raise TimestampOutOfWindowError(
            sent, now, self.max_clock_skew,
            f"Wechatpay-Timestamp {sent} is {abs(now - sent):.0f} s {direction}; the limit is "
            f"{self.max_clock_skew:g} s. A replayed notification, or a wrong server clock (check NTP)",
        )

    def key_for(self, serial: str) -> RegisteredKey:
        """Step 5: return the key registered for a Wechatpay-Serial value.

        An unknown serial triggers one `refresh_keys` call, at most every
        `min_refresh_interval` seconds.

        Raises:
            UnknownSerialError: no loaded key has this serial, even after a refresh.
        """
        key = self._registry.get(serial)
        if key is None and self._refresh_keys is not None and self._may_refresh():
            self._last_refresh = self.clock()
            self.refresh_count += 1
            logger.info("unknown Wechatpay-Serial %r: refreshing keys", serial)
            try:
                self._registry.update(self._refresh_keys())
            except Exception as exc:  # a failed download must not turn into an untyped 500
                logger.error("key refresh failed: %s; keeping the %d loaded keys", type(exc).__name__, len(self._registry))
            key = self._registry.get(serial)
        if key is not None:
            return key

        known = self._registry.serials()
        if is_public_key_id(serial):
            hint = ("It is a WeChat Pay public-key id: this merchant receives callbacks in public-key "
                    "mode, so load the WeChat Pay public key (API安全) under this id")
        else:
            hint = ("Load the WeChat Pay platform certificate with this serial (from /v3/certificates), "
                    "not the merchant's own API certificate, and key it by hex serial")
        raise UnknownSerialError(
            serial, known, f"Wechatpay-Serial {serial} matches no loaded key (known: {', '.join(known) or 'none'}). {hint}"
        )

    def _may_refresh(self) -> bool:
        return self._last_refresh is None or self.clock() - self._last_refresh >= self.min_refresh_interval

    @staticmethod
    def check_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
        """Step 8: check the envelope's required fields and return its `resource` object.

        Raises:
            MalformedNotificationError: a field is missing or has the wrong type.
        """
        for name in ("id", "create_time", "event_type", "resource_type"):
            _field(envelope, name, str, required=True, source="body")
        _field(envelope, "summary", str, required=False, source="body")
        if envelope["resource_type"] != "encrypt-resource":
            raise MalformedNotificationError(
                "body.resource_type", f"body.resource_type must be 'encrypt-resource'; got {envelope['resource_type'][:40]!r}"
            )
        resource = _field(envelope, "resource", dict, required=True, source="body")
        for name in ("algorithm", "ciphertext", "nonce"):
            _field(resource, name, str, required=True, source="body.resource")
        for name in ("original_type", "associated_data"):
            _field(resource, name, str, required=False, source="body.resource")
        return resource

    @staticmethod
    def check_algorithm(algorithm: str) -> None:
        """Step 9: raise UnsupportedAlgorithmError unless `resource.algorithm` is AEAD_AES_256_GCM."""
        if algorithm == ALGORITHM:
            return
        raise UnsupportedAlgorithmError(
            algorithm,
            f"resource.algorithm is {algorithm[:40]!r}; this verifier supports only {ALGORITHM}. "
            "The algorithm comes from the notification, never from local configuration",
        )

    def decrypt_resource(self, resource: dict[str, Any]) -> bytes:
        """Step 10: decrypt and authenticate the resource with the APIv3 key; return the plaintext.

        Raises:
            MalformedNotificationError: the nonce is not 12 ASCII characters or the
                ciphertext is not base64.
            DecryptionError: authentication failed or the ciphertext is truncated.
        """
        nonce = resource["nonce"]
        if not (nonce.isascii() and len(nonce) == 12):
            raise MalformedNotificationError(
                "body.resource.nonce", "body.resource.nonce must be 12 ASCII characters"
            )
        # NOTE: WeChat Pay documents associated_data as possibly empty; a missing field is
        # treated as empty, which is also what the tag check then verifies.
        try:
            return decrypt_resource(
                self._api_v3_key, resource["nonce"], resource.get("associated_data") or "", resource["ciphertext"],
            )
        except DecryptionError as exc:
            if exc.reason in ("invalid_base64", "invalid_nonce_length"):
                field_name = "body.resource.ciphertext" if exc.reason == "invalid_base64" else "body.resource.nonce"
                raise MalformedNotificationError(field_name, exc.message) from None
            raise

    @staticmethod
    def build_notification(
        envelope: dict[str, Any], resource: dict[str, Any], decrypted: dict[str, Any], serial: str
    ) -> Notification:
        """Step 11: build the Notification with its typed view from the decrypted object.

        Raises:
            MalformedNotificationError: a transaction or refund field is missing or has
                the wrong type.
        """
        event_type: str = envelope["event_type"]
        transaction = Transaction.from_resource(decrypted) if event_type.startswith("TRANSACTION.") else None
        refund = Refund.from_resource(decrypted) if event_type.startswith("REFUND.") else None
        return Notification(
            id=envelope["id"],
            create_time=envelope["create_time"],
            event_type=event_type,
            resource_type=envelope["resource_type"],
            summary=envelope.get("summary"),
            serial=serial,
            original_type=resource.get("original_type"),
            resource=decrypted,
            transaction=transaction,
            refund=refund,
        )

    @staticmethod
    def _log_rejection(headers: Mapping[str, Any], error: CallbackError) -> None:
        serial = None
        try:
            serial = collect_headers(headers).get("wechatpay-serial")
        except (CallbackError, TypeError):
            pass
        # %r escapes control characters, so a forged serial cannot write fake log lines.
        serial_text = serial[:80] if isinstance(serial, str) else None
        if isinstance(error, SignatureProbeError):
            logger.info("signature probe rejected: code=%s serial=%r", error.code, serial_text)
        else:
            logger.warning("callback rejected: code=%s serial=%r", error.code, serial_text)


def reply(error: BaseException | None = None) -> tuple[int, dict[str, str], bytes]:
    """Build the HTTP reply to a callback: (status, headers, body).

    Success is 204 with an empty body. A failure is the error's status (4xx or 5xx, so
    that WeChat Pay retries) with JSON `{"code": "FAIL", "message": ...}`. The message
    names the failed check only, never the details an attacker could use. Any other
    exception replies 500.
    """
    if error is None:
        return 204, {}, b""
    if isinstance(error, CallbackError):
        status, message = error.http_status, error.reply_message
    else:
        status, message = 500, "internal error"
    body = json.dumps({"code": "FAIL", "message": message}, separators=(",", ":")).encode("utf-8")
    return status, {"Content-Type": "application/json"}, body
