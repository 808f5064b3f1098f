"""The checks of notebook 03's exercises: every solution passes, and wrong implementations fail.

The placeholders are taken from the notebook itself, so a notebook whose placeholder
would already pass its check fails here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wxpay_lesson import decrypt_resource
from wxpay_lesson.exercises import check_decrypt, check_load_certificates, check_split_tag
from wxpay_lesson.exercises._checking import CheckReport

from .notebook_code import load_placeholder, load_solution

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "en" / "03-decrypting-the-resource.ipynb"
SOLUTION = ROOT / "notebooks" / "solutions" / "s03_decryption.py"


solutions = load_solution(SOLUTION)

CHECKS: dict[str, Callable[[Any], CheckReport]] = {
    "split_tag": check_split_tag,
    "decrypt": check_decrypt,
    "load_certificates": check_load_certificates,
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_solution_passes_check(name: str) -> None:
    report = CHECKS[name](getattr(solutions, name))
    assert report.passed, str(report)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_notebook_placeholder_fails_check(name: str) -> None:
    placeholder = load_placeholder(NOTEBOOK, name)
    report = CHECKS[name](placeholder)
    assert not report.passed
    assert all("not implemented yet" in case.detail for case in report.cases), str(report)


def test_check_report_names_every_case() -> None:
    report = check_decrypt(solutions.decrypt)
    assert len(report.cases) == 9
    assert str(report).startswith("decrypt: 9/9 cases pass")


# ---------------------------------------------------------------- wrong implementations fail


def split_tag_at_front(ciphertext_b64: str) -> tuple[bytes, bytes]:
    sealed = base64.b64decode(ciphertext_b64)
    return sealed[16:], sealed[:16]


def test_split_tag_rejects_tag_taken_from_front() -> None:
    report = check_split_tag(split_tag_at_front)
    assert not report.cases[0].passed
    assert "last 16 bytes" in report.cases[0].detail


def decrypt_without_tag_check(api_v3_key: str, resource: dict[str, Any]) -> dict[str, Any]:
    """AES-CTR from counter 2, the keystream of GCM with a 96-bit nonce, and no tag check."""
    sealed = base64.b64decode(resource["ciphertext"])[:-16]
    counter_block = resource["nonce"].encode() + (2).to_bytes(4, "big")
    decryptor = Cipher(algorithms.AES(api_v3_key.encode()), modes.CTR(counter_block)).decryptor()
    plaintext = decryptor.update(sealed) + decryptor.finalize()
    return json.loads(plaintext.decode("utf-8", errors="replace"))


def test_decrypt_check_catches_skipped_tag_check() -> None:
    report = check_decrypt(decrypt_without_tag_check)
    outcomes = {case.name: case.passed for case in report.cases}
    assert outcomes["a transaction resource"]
    assert not outcomes["one changed tag bit raises DecryptionError"]
    assert not outcomes["a changed associated_data raises DecryptionError"]
    assert not report.passed


def decrypt_ignoring_algorithm(api_v3_key: str, resource: dict[str, Any]) -> dict[str, Any]:
    return json.loads(decrypt_resource(api_v3_key, resource["nonce"], resource["associated_data"], resource["ciphertext"]))


def test_decrypt_check_catches_ignored_algorithm() -> None:
    report = check_decrypt(decrypt_ignoring_algorithm)
    failed = [case.name for case in report.cases if not case.passed]
    assert failed == [
        "algorithm AEAD_SM4_GCM raises UnsupportedAlgorithmError",
        "a missing algorithm raises MalformedNotificationError",
    ]


def decrypt_returning_bytes(api_v3_key: str, resource: dict[str, Any]) -> bytes:
    return decrypt_resource(api_v3_key, resource["nonce"], resource["associated_data"], resource["ciphertext"])


def test_decrypt_check_asks_for_parsed_json() -> None:
    report = check_decrypt(decrypt_returning_bytes)
    assert "unparsed" in report.cases[0].detail


def load_certificates_without_serial_check(api_v3_key: str, response_body: bytes) -> dict[str, x509.Certificate]:
    certificates = {}
    for entry in json.loads(response_body)["data"]:
        sealed = entry["encrypt_certificate"]
        pem = decrypt_resource(api_v3_key, sealed["nonce"], sealed["associated_data"], sealed["ciphertext"])
        certificates[entry["serial_no"]] = x509.load_pem_x509_certificate(pem)
    return certificates


def test_certificate_check_catches_unchecked_serial() -> None:
    report = check_load_certificates(load_certificates_without_serial_check)
    failed = {case.name for case in report.cases if not case.passed}
    assert "serial_no that differs from the certificate's serial raises ValueError" in failed
    assert "algorithm AEAD_SM4_GCM raises UnsupportedAlgorithmError" in failed
    assert report.cases[0].passed


def test_check_details_never_show_the_plaintext() -> None:
    report = check_decrypt(decrypt_without_tag_check)
    text = str(report)
    assert "LESSON-03-DECRYPT-1" not in text
    assert "out_trade_no" not in text
