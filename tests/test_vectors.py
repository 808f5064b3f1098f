"""Every published vector from the official SDKs' test suites, through the package's own functions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wxpay_lesson import (
    ApiV3KeyError,
    CallbackVerifier,
    DecryptionError,
    InvalidSignatureError,
    MalformedHeaderError,
    SignatureProbeError,
    build_message,
    certificate_serial,
    decrypt_resource,
    encrypt_resource,
    sign_message,
    verify_signature,
)
from wxpay_lesson.legacy_v2 import aes_ecb_decrypt, aes_ecb_encrypt, apiv2_sign, string_to_sign
from wxpay_lesson.notification import parse_headers

from .conftest import load_vectors

VECTORS = load_vectors()


def vectors_of(kind: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in VECTORS if v["kind"] == kind]


def test_every_vector_kind_is_covered() -> None:
    covered = {"notification", "aead_decrypt", "aead_decrypt_must_fail", "rsa_verify", "certificate_download",
               "apiv2_sign", "aes_ecb", "signature_probe", "test_keypair"}
    assert {v["kind"] for v in VECTORS} <= covered
    assert len(VECTORS) == 18


@pytest.mark.parametrize("vector", vectors_of("notification"))
def test_notification_vector_signature_and_decryption(vector: dict[str, Any]) -> None:
    headers = vector["headers"]
    body = vector["body"].encode("utf-8")
    certificate = x509.load_pem_x509_certificate(vector["platform_certificate_pem"].encode("ascii"))
    assert certificate_serial(certificate) == headers["Wechatpay-Serial"]

    message = build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body)
    assert message == vector["expected_signed_message"].encode("utf-8")
    verify_signature(certificate.public_key(), message, headers["Wechatpay-Signature"])

    resource = json.loads(body)["resource"]
    plaintext = decrypt_resource(vector["apiv3_key"], resource["nonce"], resource["associated_data"], resource["ciphertext"])
    assert plaintext.decode("utf-8") == vector["expected_plaintext"]


@pytest.mark.parametrize("vector", vectors_of("notification"))
def test_notification_vector_through_verifier_steps(vector: dict[str, Any]) -> None:
    # The verifier insists on 32-byte APIv3 keys and V1's key is 16 bytes, so the full
    # verify() cannot run. Its header, window, serial and signature steps can.
    frozen = vector["frozen_clock_unix"]
    key = vector["apiv3_key"]
    with pytest.raises(ApiV3KeyError, match=f"got {len(key.encode())}"):
        CallbackVerifier(key, {vector["platform_certificate_serial"]: vector["platform_certificate_pem"]})

    verifier = CallbackVerifier("0" * 32, {vector["platform_certificate_serial"]: vector["platform_certificate_pem"]},
                                clock=lambda: frozen)
    parsed = parse_headers(vector["headers"])
    verifier.check_timestamp(parsed.timestamp)
    registered = verifier.key_for(parsed.serial)
    verify_signature(registered.public_key, build_message(parsed.timestamp, parsed.nonce, vector["body"].encode()),
                     parsed.signature)


@pytest.mark.parametrize("vector", vectors_of("notification"))
def test_notification_vector_tampered_body_fails(vector: dict[str, Any]) -> None:
    headers = vector["headers"]
    body = vector["body"].encode("utf-8").replace(b"PAYSCORE", b"PAYSCORF")
    certificate = x509.load_pem_x509_certificate(vector["platform_certificate_pem"].encode("ascii"))
    with pytest.raises(InvalidSignatureError):
        verify_signature(certificate.public_key(),
                         build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body),
                         headers["Wechatpay-Signature"])


@pytest.mark.parametrize("vector", vectors_of("aead_decrypt"))
def test_aead_vector_decrypts(vector: dict[str, Any]) -> None:
    plaintext = decrypt_resource(vector["key"], vector["nonce"], vector["associated_data"], vector["ciphertext"])
    assert plaintext.decode("utf-8") == vector["expected_plaintext"]
    if vector.get("also_expect_encrypt_equal"):
        assert encrypt_resource(vector["key"], vector["nonce"], vector["associated_data"], plaintext) == vector["ciphertext"]


@pytest.mark.parametrize("vector", vectors_of("aead_decrypt_must_fail"))
def test_aead_vector_must_fail(vector: dict[str, Any]) -> None:
    expected = vector["expected_error"]
    if expected == "invalid_key_length":
        with pytest.raises(ApiV3KeyError):
            decrypt_resource(vector["key"], vector["nonce"], vector["associated_data"], vector["ciphertext"])
        return
    with pytest.raises(DecryptionError) as caught:
        decrypt_resource(vector["key"], vector["nonce"], vector["associated_data"], vector["ciphertext"])
    assert caught.value.reason == expected


@pytest.mark.parametrize("vector", vectors_of("rsa_verify"))
def test_rsa_vector(vector: dict[str, Any]) -> None:
    if "certificate_pem" in vector:
        certificate = x509.load_pem_x509_certificate(vector["certificate_pem"].encode("ascii"))
        assert certificate_serial(certificate) == vector["certificate_serial"]
        public_key = certificate.public_key()
    else:
        public_key = serialization.load_pem_public_key(vector["public_key_pem"].encode("ascii"))
    message = vector["message"].encode("utf-8")
    if vector["expected_valid"]:
        verify_signature(public_key, message, vector["signature"])
    else:
        with pytest.raises(InvalidSignatureError):
            verify_signature(public_key, message, vector["signature"])


@pytest.mark.parametrize("vector", vectors_of("certificate_download"))
def test_certificate_download_vector(vector: dict[str, Any]) -> None:
    entry = json.loads(vector["response_body"])["data"][0]
    sealed = entry["encrypt_certificate"]
    assert sealed["associated_data"] == "certificate"
    pem = decrypt_resource(vector["apiv3_key"], sealed["nonce"], sealed["associated_data"], sealed["ciphertext"])
    assert pem.decode("ascii") == vector["expected_certificate_pem"]
    certificate = x509.load_pem_x509_certificate(pem)
    assert certificate_serial(certificate) == entry["serial_no"] == vector["expected_serial_no"]
    # The listed validity must be the certificate's own.
    from datetime import datetime

    assert certificate.not_valid_before_utc == datetime.fromisoformat(vector["expected_effective_time"])
    assert certificate.not_valid_after_utc == datetime.fromisoformat(vector["expected_expire_time"])


@pytest.mark.parametrize("vector", vectors_of("apiv2_sign"))
def test_apiv2_sign_vector(vector: dict[str, Any]) -> None:
    assert string_to_sign(vector["params"]) == vector["expected_string_a"]
    assert apiv2_sign(vector["params"], vector["key"], "MD5") == vector["expected_sign_md5"]
    assert apiv2_sign(vector["params"], vector["key"], "HMAC-SHA256") == vector["expected_sign_hmac_sha256"]


@pytest.mark.parametrize("vector", vectors_of("aes_ecb"))
def test_aes_ecb_vector(vector: dict[str, Any]) -> None:
    key = vector["key"].encode("utf-8")
    assert aes_ecb_encrypt(key, vector["plaintext"].encode("utf-8")) == vector["expected_ciphertext"]
    assert aes_ecb_decrypt(key, vector["expected_ciphertext"]).decode("utf-8") == vector["plaintext"]


@pytest.mark.parametrize("vector", vectors_of("signature_probe"))
def test_signature_probe_vector_is_rejected(vector: dict[str, Any]) -> None:
    headers = vector["headers"]
    assert headers["Wechatpay-Signature"].startswith(vector["probe_prefix"])
    # The probe's format is accepted by the header check, so that it reaches its own error.
    parse_headers(headers)
    other = [v for v in VECTORS if v["kind"] == "test_keypair"][0]
    verifier = CallbackVerifier("0" * 32, {headers["Wechatpay-Serial"]: other["public_key_pem"]},
                                clock=lambda: int(headers["Wechatpay-Timestamp"]))
    with pytest.raises(SignatureProbeError) as caught:
        verifier.verify(headers, b'{"id":"probe"}')
    assert isinstance(caught.value, InvalidSignatureError)
    assert caught.value.http_status == 401


@pytest.mark.parametrize("vector", vectors_of("signature_probe"))
def test_signature_probe_vector_without_prefix_is_malformed(vector: dict[str, Any]) -> None:
    headers = dict(vector["headers"])
    headers["Wechatpay-Signature"] = headers["Wechatpay-Signature"][len(vector["probe_prefix"]):] + "x"
    with pytest.raises(MalformedHeaderError):
        parse_headers(headers)


@pytest.mark.parametrize("vector", vectors_of("test_keypair"))
def test_keypair_vector_signs_callbacks(vector: dict[str, Any]) -> None:
    private_key = serialization.load_pem_private_key(vector["private_key_pem"].encode("ascii"), password=None)
    certificate = x509.load_pem_x509_certificate(vector["certificate_pem"].encode("ascii"))
    assert certificate_serial(certificate) == vector["serial"]
    message = build_message("1704074400", "nonce", b"{}")
    signature = sign_message(private_key, message)  # type: ignore[arg-type]
    verify_signature(certificate.public_key(), message, signature)
    verify_signature(serialization.load_pem_public_key(vector["public_key_pem"].encode()), message, signature)  # type: ignore[arg-type]
