"""INSECURE classroom path: callback verification with some defences switched off.

The merchant's handler uses `CallbackVerifier.verify` unchanged whenever every defence
is on. Only when an instructor switches defences off does it call
`verify_with_defences` here, which runs the verifier's public step methods in the same
order and skips the switched-off ones:

- `signature` off: no RSA check. The resource is still decrypted with our APIv3 key,
  so a leaked APIv3 key alone is enough to forge a payment.
- `timestamp_window` off: an old notification can be replayed.
- `serial_allow_list` off: an unknown Wechatpay-Serial is verified with the certificate
  that the request itself carries in `Wechatpay-Certificate` (base64 of PEM). WeChat Pay
  never sends that header; trusting it lets anyone sign with their own key.
- `probe_handling` off: a signature starting WECHATPAY/SIGNTEST/ is special-cased as
  "WeChat Pay's test traffic" and passes without an RSA check, the tempting fix that
  WeChat Pay's probe is designed to catch. Anyone can write that prefix, so a forgery
  made with a leaked APIv3 key is then processed as a payment.

Never use this module outside a demo.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from typing import Any

from ..errors import KeyConfigError, SignatureProbeError, UnknownSerialError
from ..keys import RegisteredKey, load_public_key
from ..notification import (
    CallbackHeaders,
    CallbackVerifier,
    Notification,
    collect_headers,
    parse_headers,
    parse_json_object,
)
from ..signature import build_message, verify_signature
from .defences import Defences

logger = logging.getLogger(__name__)

# A header that WeChat Pay never sends; the serial_allow_list demo bug trusts it.
HEADER_SENDER_CERTIFICATE = "Wechatpay-Certificate"


def verify_with_defences(
    verifier: CallbackVerifier, defences: Defences, headers: Mapping[str, Any], body: bytes
) -> Notification:
    """Verify a callback, skipping the checks that `defences` switches off.

    Returns:
        The decrypted notification.

    Raises:
        CallbackError: a subclass naming the first check that still runs and fails.
    """
    body = bytes(body)
    parsed = parse_headers(headers)

    verifier.check_signature_type(parsed.signature_type)

    if defences.timestamp_window:
        verifier.check_timestamp(parsed.timestamp)

    skip_signature = not defences.signature
    if parsed.is_probe:
        if defences.probe_handling:
            raise SignatureProbeError(
                "Wechatpay-Signature starts with WECHATPAY/SIGNTEST/: this is WeChat Pay's signature probe"
            )
        logger.warning("signature probe passed without an RSA check, because probe_handling is off")
        skip_signature = True

    if not skip_signature:
        key = _key_for(verifier, defences, headers, parsed)
        verify_signature(key.public_key, build_message(parsed.timestamp, parsed.nonce, body), parsed.signature)

    envelope = parse_json_object(body, "body")
    resource = verifier.check_envelope(envelope)

    verifier.check_algorithm(resource["algorithm"])

    plaintext = verifier.decrypt_resource(resource)

    decrypted = parse_json_object(plaintext, "resource plaintext")
    return verifier.build_notification(envelope, resource, decrypted, parsed.serial)


def _key_for(verifier: CallbackVerifier, defences: Defences, headers: Mapping[str, Any],
             parsed: CallbackHeaders) -> RegisteredKey:
    try:
        return verifier.key_for(parsed.serial)
    except UnknownSerialError:
        if defences.serial_allow_list:
            raise
        supplied = collect_headers(headers).get(HEADER_SENDER_CERTIFICATE.lower())
        if not supplied:
            raise
    try:
        pem = base64.b64decode(supplied.encode("ascii"), validate=True)
        public_key, certificate = load_public_key(pem, label=HEADER_SENDER_CERTIFICATE)
    except (binascii.Error, UnicodeEncodeError, KeyConfigError) as exc:
        raise UnknownSerialError(
            parsed.serial, verifier.serials,
            f"{HEADER_SENDER_CERTIFICATE} is not base64 of a PEM certificate or public key ({type(exc).__name__})",
        ) from None
    return RegisteredKey(serial=parsed.serial, public_key=public_key, certificate=certificate)


__all__ = ["HEADER_SENDER_CERTIFICATE", "verify_with_defences"]
