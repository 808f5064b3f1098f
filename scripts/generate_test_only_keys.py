#!/usr/bin/env python3
"""Generate the TEST-ONLY keys and certificates in data/test-keys/.

These keys are published in this repository, so they protect nothing. They exist so that
the simulated WeChat Pay platform, the notebooks and the tests sign and verify with the
same fixed material on every machine. Never use them, or keys made this way, for real
payments.

The script was run once and its output committed; running it again makes new keys and
changes every signature in the notebooks' outputs. Usage:

    python scripts/generate_test_only_keys.py [--force]
"""

from __future__ import annotations

import argparse
import datetime
import json
import secrets
import string
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

OUT = Path(__file__).resolve().parent.parent / "data" / "test-keys"
NOT_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc)

# name: (certificate serial or None for a bare public key, certificate common name)
KEYS = {
    "platform": (0x3A1B5C7D9E2F40618293A4B5C6D7E8F901234567, "wxpay-lesson TEST platform certificate"),
    "platform_next": (0x6C2D4E8FA0B1C2D3E4F5061728394A5B6C7D8E9F, "wxpay-lesson TEST platform certificate (rotated)"),
    "wechatpay_public_key": (None, ""),
    "merchant_api": (0x1F2E3D4C5B6A79880716253443526170AB9C8D7E, "wxpay-lesson TEST merchant API certificate"),
    "attacker": (0x0BADC0DE0BADC0DE0BADC0DE0BADC0DE0BADC0DE, "attacker self-signed certificate"),
}
PUBLIC_KEY_ID = "PUB_KEY_ID_0112300001092024010100000000000001"


def self_signed(key: rsa.RSAPrivateKey, serial: int, common_name: str) -> x509.Certificate:
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wxpay-lesson TEST ONLY"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .sign(key, hashes.SHA256())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite existing keys")
    args = parser.parse_args()
    if (OUT / "manifest.json").exists() and not args.force:
        print(f"{OUT} already has keys; pass --force to replace them", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)

    manifest: dict[str, object] = {"warning": "TEST ONLY. These private keys are public. Never use them for real payments."}
    for name, (serial, common_name) in KEYS.items():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (OUT / f"{name}_private_key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (OUT / f"{name}_public_key.pem").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        if serial is not None:
            certificate = self_signed(key, serial, common_name)
            (OUT / f"{name}_certificate.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
            manifest[f"{name}_serial"] = format(serial, "X")
    manifest["wechatpay_public_key_id"] = PUBLIC_KEY_ID

    alphabet = string.ascii_letters + string.digits
    manifest["api_v3_key"] = "".join(secrets.choice(alphabet) for _ in range(32))
    # An APIv2 key looks like 32 lower-case hex characters; kept to show the key mix-up.
    manifest["api_v2_key"] = secrets.token_hex(16)
    manifest["mchid"] = "1230000109"
    manifest["appid"] = "wxd678efh567hg6787"
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    # The same key as a file for `doctor --api-v3-key-file`, without a final newline.
    (OUT / "api_v3_key.txt").write_text(str(manifest["api_v3_key"]), encoding="ascii")
    print(f"wrote test-only keys to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
