"""Solutions to the *On your own* exercises of notebook 03, decrypting the resource.

tests/test_exercises_decryption.py proves that each function passes its check.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography import x509

from wxpay_lesson import (
    DecryptionError,
    MalformedNotificationError,
    UnsupportedAlgorithmError,
    certificate_serial,
    decrypt_resource,
)

TAG_BYTES = 16
AES_GCM = "AEAD_AES_256_GCM"


def split_tag(ciphertext_b64: str) -> tuple[bytes, bytes]:
    """Split `resource.ciphertext` into the encrypted bytes and the 16-byte GCM tag."""
    try:
        sealed = base64.b64decode(ciphertext_b64, validate=True)
    except binascii.Error:
        raise DecryptionError("invalid_base64", "resource.ciphertext is not standard base64") from None
    if len(sealed) < TAG_BYTES:
        raise DecryptionError(
            "ciphertext_too_short", f"resource.ciphertext is {len(sealed)} bytes, shorter than the {TAG_BYTES}-byte tag"
        )
    return sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]


def decrypt(api_v3_key: str, resource: dict[str, Any]) -> dict[str, Any]:
    """Decrypt a notification's resource, choosing the algorithm from the resource itself."""
    algorithm = resource.get("algorithm")
    if algorithm is None:
        raise MalformedNotificationError("resource.algorithm", "resource.algorithm is missing")
    if algorithm != AES_GCM:
        raise UnsupportedAlgorithmError(algorithm, f"resource.algorithm {algorithm!r} is not supported")
    plaintext = decrypt_resource(
        api_v3_key, resource["nonce"], resource.get("associated_data") or "", resource["ciphertext"]
    )
    return json.loads(plaintext)


def load_certificates(api_v3_key: str, response_body: bytes) -> dict[str, x509.Certificate]:
    """Decrypt every platform certificate of a /v3/certificates response, keyed by serial_no."""
    certificates: dict[str, x509.Certificate] = {}
    for entry in json.loads(response_body)["data"]:
        sealed = entry["encrypt_certificate"]
        algorithm = sealed["algorithm"]
        if algorithm != AES_GCM:
            raise UnsupportedAlgorithmError(algorithm, f"encrypt_certificate.algorithm {algorithm!r} is not supported")
        pem = decrypt_resource(api_v3_key, sealed["nonce"], sealed["associated_data"], sealed["ciphertext"])
        certificate = x509.load_pem_x509_certificate(pem)
        serial = certificate_serial(certificate)
        if serial != entry["serial_no"]:
            raise ValueError(f"serial_no {entry['serial_no']} differs from the decrypted certificate's serial {serial}")
        certificates[serial] = certificate
    return certificates
