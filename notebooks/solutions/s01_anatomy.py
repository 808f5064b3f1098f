"""Solutions to the *On your own* exercises of notebook 01, the anatomy of a callback.

tests/test_exercises_signature.py proves that each function passes its check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wxpay_lesson import MissingHeaderError, decrypt_resource

HEADER_FIELDS = {
    "wechatpay-timestamp": "timestamp",
    "wechatpay-nonce": "nonce",
    "wechatpay-serial": "serial",
    "wechatpay-signature": "signature",
}


def signature_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return the four signature header values, looking names up case-insensitively.

    Django's request.META spells Wechatpay-Serial as HTTP_WECHATPAY_SERIAL.
    """
    found: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key.startswith("http_"):
            key = key[len("http_"):].replace("_", "-")
        if key in HEADER_FIELDS:
            found[HEADER_FIELDS[key]] = value
    for header, field in HEADER_FIELDS.items():
        if not found.get(field):
            canonical = "-".join(part.capitalize() for part in header.split("-"))
            raise MissingHeaderError(canonical, f"{canonical} header is missing or empty")
    return found


def decrypt_notification(api_v3_key: str, body: bytes) -> dict[str, Any]:
    """Decrypt the resource of a verified notification body and parse its JSON."""
    resource = json.loads(body)["resource"]
    plaintext = decrypt_resource(
        api_v3_key, resource["nonce"], resource.get("associated_data", ""), resource["ciphertext"])
    return json.loads(plaintext)
