"""The fixed TEST-ONLY keys in data/test-keys/, shared by the simulator, notebooks and tests.

The private keys there are public, so they protect nothing. They make every run sign
with the same keys, which keeps notebook outputs identical from run to run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# NOTE: data/ sits beside the package in the repository, which the editable install
# (`pip install -e .`) keeps in place. Set WXPAY_LESSON_DATA to use another folder.
DATA_DIR = Path(os.environ.get("WXPAY_LESSON_DATA", Path(__file__).resolve().parent.parent / "data"))
TEST_KEYS_DIR = DATA_DIR / "test-keys"


@dataclass(frozen=True)
class KeyPair:
    """A test RSA key pair, with its self-signed certificate where it has one."""

    name: str
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    certificate: x509.Certificate | None
    serial: str | None

    @property
    def public_key_pem(self) -> str:
        """The public key as SubjectPublicKeyInfo PEM text."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    @property
    def certificate_pem(self) -> str | None:
        """The certificate as PEM text, or None for a bare public key."""
        if self.certificate is None:
            return None
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass(frozen=True)
class TestKeys:
    """Every fixed test key and identifier of the kit."""

    __test__ = False  # not a pytest test class

    platform: KeyPair
    platform_next: KeyPair
    wechatpay_public_key: KeyPair
    wechatpay_public_key_id: str
    merchant_api: KeyPair
    attacker: KeyPair
    api_v3_key: str
    api_v2_key: str
    mchid: str
    appid: str


def _read_pair(folder: Path, name: str, serial: str | None) -> KeyPair:
    private_key = serialization.load_pem_private_key((folder / f"{name}_private_key.pem").read_bytes(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError(f"{folder / name}_private_key.pem is not an RSA private key")
    certificate = None
    certificate_path = folder / f"{name}_certificate.pem"
    if certificate_path.exists():
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    return KeyPair(name=name, private_key=private_key, public_key=private_key.public_key(),
                   certificate=certificate, serial=serial)


@lru_cache(maxsize=4)
def load_test_keys(folder: str | os.PathLike[str] | None = None) -> TestKeys:
    """Load the fixed test keys from data/test-keys/ (or `folder`).

    Raises:
        FileNotFoundError: the folder or one of its files is missing; the message
            explains how to regenerate it.
    """
    path = Path(folder) if folder is not None else TEST_KEYS_DIR
    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(
            f"test keys not found at {path}. Run the kit from its repository with an editable install, "
            "set WXPAY_LESSON_DATA to the data/ folder, or run scripts/generate_test_only_keys.py"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return TestKeys(
        platform=_read_pair(path, "platform", manifest["platform_serial"]),
        platform_next=_read_pair(path, "platform_next", manifest["platform_next_serial"]),
        wechatpay_public_key=_read_pair(path, "wechatpay_public_key", manifest["wechatpay_public_key_id"]),
        wechatpay_public_key_id=manifest["wechatpay_public_key_id"],
        merchant_api=_read_pair(path, "merchant_api", manifest["merchant_api_serial"]),
        attacker=_read_pair(path, "attacker", manifest["attacker_serial"]),
        api_v3_key=manifest["api_v3_key"],
        api_v2_key=manifest["api_v2_key"],
        mchid=manifest["mchid"],
        appid=manifest["appid"],
    )
