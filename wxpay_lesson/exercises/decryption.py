"""Checks for the exercises of notebook 03, decrypting the resource.

Every hidden case is built by the simulated platform from the fixed test keys and
fixed nonces, so a report reads the same on every run. Failure details name the case
and the expected outcome. They never show a key or a decrypted plaintext.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..aead import TAG_BYTES
from ..errors import DecryptionError, MalformedNotificationError, UnsupportedAlgorithmError
from ..keys import certificate_serial
from ..simulator import SimulatedPlatform, compact_json
from ._checking import CheckReport

# 2024-01-01T10:00:00+08:00, the fixed time of every lesson.
FIXED_TIME = 1704074400

_TRANSACTION_NONCE = "hN4qL8vRt2Wc"
_REFUND_NONCE = "pX7mK3sBd9Ye"
_EMPTY_AAD_NONCE = "Gz5fJ1uQa6Ho"
_CERTIFICATE_NONCES = ("c8Vn2LrT5kWq", "Ue3Ym7Dp1Sxa")


def _platform() -> SimulatedPlatform:
    return SimulatedPlatform(clock=lambda: FIXED_TIME)


def _expect_error(action: Callable[[], Any], expected: type[Exception]) -> tuple[bool, str]:
    """Run `action` and pass only if it raises `expected`.

    NotImplementedError propagates so that `CheckReport.run_case` reports the
    placeholder plainly.
    """
    try:
        action()
    except NotImplementedError:
        raise
    except expected:
        return True, ""
    except Exception as exc:  # the learner's code may raise anything
        return False, f"raised {type(exc).__name__}; expected {expected.__name__}"
    return False, f"returned a result; expected {expected.__name__} and no result"


def _flip_low_bit(ciphertext_b64: str, position: int) -> str:
    sealed = bytearray(base64.b64decode(ciphertext_b64))
    sealed[position] ^= 0x01
    return base64.b64encode(bytes(sealed)).decode("ascii")


# ---------------------------------------------------------------- exercise 1: split the tag


def check_split_tag(split_tag: Callable[[str], tuple[bytes, bytes]]) -> CheckReport:
    """Check `split_tag(ciphertext_b64) -> (encrypted_bytes, tag)`.

    The function decodes `resource.ciphertext` and returns the encrypted bytes and the
    16-byte GCM tag that follows them. A value shorter than the tag must raise
    `DecryptionError`.
    """
    report = CheckReport("split_tag")
    platform = _platform()
    transaction = platform.transaction("LESSON-03-SPLIT-1", 2500)
    resource = platform.encrypt(compact_json(transaction), associated_data="transaction", nonce=_TRANSACTION_NONCE)
    sealed = base64.b64decode(resource["ciphertext"])
    empty = platform.encrypt(b"", associated_data="transaction", nonce=_EMPTY_AAD_NONCE)
    empty_sealed = base64.b64decode(empty["ciphertext"])

    def splits(value: str, expected_body: bytes, expected_tag: bytes) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            result = split_tag(value)
            if not isinstance(result, tuple) or len(result) != 2:
                return False, f"returned {type(result).__name__}; expected a tuple (encrypted_bytes, tag)"
            body, tag = result
            if not isinstance(body, bytes) or not isinstance(tag, bytes):
                return False, "both parts must be bytes; decode the base64 text first"
            if len(tag) != TAG_BYTES:
                return False, f"the tag is {len(tag)} bytes; the GCM tag is the last {TAG_BYTES} bytes"
            if tag != expected_tag:
                return False, f"the tag is not the last {TAG_BYTES} bytes of the decoded ciphertext"
            if body != expected_body:
                return False, "the encrypted bytes are not everything before the tag"
            return True, ""
        return action

    report.run_case(
        "a transaction resource", splits(resource["ciphertext"], sealed[:-TAG_BYTES], sealed[-TAG_BYTES:])
    )
    report.run_case("an empty plaintext: the ciphertext is only the tag", splits(empty["ciphertext"], b"", empty_sealed))
    certificate = platform.encrypt(
        platform.certificate(platform.certificate_serial).public_bytes(Encoding.PEM),
        associated_data="certificate", nonce=_CERTIFICATE_NONCES[0],
    )
    certificate_sealed = base64.b64decode(certificate["ciphertext"])
    report.run_case(
        "an encrypted platform certificate",
        splits(certificate["ciphertext"], certificate_sealed[:-TAG_BYTES], certificate_sealed[-TAG_BYTES:]),
    )
    truncated = base64.b64encode(sealed[:10]).decode("ascii")
    report.run_case(
        "10 bytes, shorter than the tag, raises DecryptionError",
        lambda: _expect_error(lambda: split_tag(truncated), DecryptionError),
    )
    report.run_case(
        "text that is not base64 raises DecryptionError",
        lambda: _expect_error(lambda: split_tag("not base64!"), DecryptionError),
    )
    return report


# ---------------------------------------------------------------- exercise 2: decrypt a resource


def check_decrypt(decrypt: Callable[[str, dict[str, Any]], dict[str, Any]]) -> CheckReport:
    """Check `decrypt(api_v3_key, resource) -> dict`.

    The function chooses the algorithm from `resource["algorithm"]`, decrypts with the
    resource's own nonce and associated_data, and returns the parsed JSON plaintext.
    It must raise `DecryptionError` for a wrong key or a changed resource,
    `UnsupportedAlgorithmError` for an algorithm other than AEAD_AES_256_GCM, and
    `MalformedNotificationError` when `algorithm` is missing.
    """
    report = CheckReport("decrypt")
    platform = _platform()
    keys = platform.keys
    transaction = platform.transaction("LESSON-03-DECRYPT-1", 9900)
    refund = platform.refund("LESSON-03-DECRYPT-1", "LESSON-03-REFUND-1", 9900, 4900)
    transaction_resource = {
        "original_type": "transaction",
        **platform.encrypt(compact_json(transaction), associated_data="transaction", nonce=_TRANSACTION_NONCE),
    }
    refund_resource = {
        "original_type": "refund",
        **platform.encrypt(compact_json(refund), associated_data="refund", nonce=_REFUND_NONCE),
    }
    empty_aad_resource = {
        "original_type": "transaction",
        **platform.encrypt(compact_json(transaction), associated_data="", nonce=_EMPTY_AAD_NONCE),
    }

    def decrypts(resource: dict[str, Any], expected: dict[str, Any], key: str) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            result = decrypt(key, copy.deepcopy(resource))
            if isinstance(result, (bytes, str)):
                return False, "returned the plaintext unparsed; return json.loads of it"
            if not isinstance(result, dict):
                return False, f"returned {type(result).__name__}; expected a dict"
            if result != expected:
                return False, "the decrypted dict differs from the object that was encrypted"
            return True, ""
        return action

    def raises(resource: dict[str, Any], expected: type[Exception], key: str) -> Callable[[], tuple[bool, str]]:
        return lambda: _expect_error(lambda: decrypt(key, copy.deepcopy(resource)), expected)

    report.run_case("a transaction resource", decrypts(transaction_resource, transaction, keys.api_v3_key))
    report.run_case(
        "a refund resource (associated_data 'refund')", decrypts(refund_resource, refund, keys.api_v3_key)
    )
    report.run_case("an empty associated_data", decrypts(empty_aad_resource, transaction, keys.api_v3_key))

    changed_ciphertext = dict(transaction_resource, ciphertext=_flip_low_bit(transaction_resource["ciphertext"], 5))
    report.run_case(
        "one changed ciphertext bit raises DecryptionError",
        raises(changed_ciphertext, DecryptionError, keys.api_v3_key),
    )
    changed_tag = dict(transaction_resource, ciphertext=_flip_low_bit(transaction_resource["ciphertext"], -1))
    report.run_case("one changed tag bit raises DecryptionError", raises(changed_tag, DecryptionError, keys.api_v3_key))
    changed_aad = dict(transaction_resource, associated_data="refund")
    report.run_case(
        "a changed associated_data raises DecryptionError", raises(changed_aad, DecryptionError, keys.api_v3_key)
    )
    report.run_case(
        "the APIv2 key in place of the APIv3 key raises DecryptionError",
        raises(transaction_resource, DecryptionError, keys.api_v2_key),
    )
    sm4 = dict(transaction_resource, algorithm="AEAD_SM4_GCM")
    report.run_case(
        "algorithm AEAD_SM4_GCM raises UnsupportedAlgorithmError",
        raises(sm4, UnsupportedAlgorithmError, keys.api_v3_key),
    )
    no_algorithm = {name: value for name, value in transaction_resource.items() if name != "algorithm"}
    report.run_case(
        "a missing algorithm raises MalformedNotificationError",
        raises(no_algorithm, MalformedNotificationError, keys.api_v3_key),
    )
    return report


# ---------------------------------------------------------------- exercise 3: platform certificates


def check_load_certificates(
    load_certificates: Callable[[str, bytes], dict[str, x509.Certificate]],
) -> CheckReport:
    """Check `load_certificates(api_v3_key, response_body) -> {serial: certificate}`.

    The function decrypts every `encrypt_certificate` of a /v3/certificates response
    body, loads the PEM and keys the result by `serial_no`. It must raise
    `DecryptionError` for a wrong key, `UnsupportedAlgorithmError` for an algorithm
    other than AEAD_AES_256_GCM, and `ValueError` when a decrypted certificate's serial
    differs from the entry's `serial_no`.
    """
    report = CheckReport("load_certificates")
    platform = _platform()
    keys = platform.keys
    body = platform.certificates_response(nonces=_CERTIFICATE_NONCES)
    expected_serials = {platform.certificate_serial, platform.next_certificate_serial}

    def loads() -> tuple[bool, str]:
        result = load_certificates(keys.api_v3_key, body)
        if not isinstance(result, dict):
            return False, f"returned {type(result).__name__}; expected a dict of serial to certificate"
        if set(result) != expected_serials:
            return False, f"returned {len(result)} serials; expected the {len(expected_serials)} serial_no values of the response"
        for serial, certificate in result.items():
            if not isinstance(certificate, x509.Certificate):
                return False, f"the value for {serial} is {type(certificate).__name__}; load it with x509.load_pem_x509_certificate"
            if certificate_serial(certificate) != serial:
                return False, f"the certificate stored under {serial} has another serial"
        return True, ""

    report.run_case("a response with two platform certificates", loads)

    def raises(value: bytes, expected: type[Exception], key: str) -> Callable[[], tuple[bool, str]]:
        return lambda: _expect_error(lambda: load_certificates(key, value), expected)

    report.run_case(
        "the APIv2 key in place of the APIv3 key raises DecryptionError", raises(body, DecryptionError, keys.api_v2_key)
    )

    listing = json.loads(body)
    sm4 = copy.deepcopy(listing)
    sm4["data"][0]["encrypt_certificate"]["algorithm"] = "AEAD_SM4_GCM"
    report.run_case(
        "algorithm AEAD_SM4_GCM raises UnsupportedAlgorithmError",
        raises(compact_json(sm4), UnsupportedAlgorithmError, keys.api_v3_key),
    )

    swapped = copy.deepcopy(listing)
    first, second = swapped["data"][0], swapped["data"][1]
    first["serial_no"], second["serial_no"] = second["serial_no"], first["serial_no"]
    report.run_case(
        "serial_no that differs from the certificate's serial raises ValueError",
        raises(compact_json(swapped), ValueError, keys.api_v3_key),
    )
    return report
