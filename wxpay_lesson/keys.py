"""Platform certificates and WeChat Pay public keys, looked up by Wechatpay-Serial.

A callback's Wechatpay-Serial header names the key that verifies it. The value is either
the serial of a platform certificate (hex; WeChat Pay prints it in upper case) or the id
of a WeChat Pay public key (`PUB_KEY_ID_` followed by digits). During WeChat Pay's
7-day migration to public-key mode, callbacks arrive signed either way, so one registry
contains both kinds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import KeyConfigError

PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_"
MIN_RSA_KEY_BITS = 2048

_HEX_SERIAL = re.compile(r"[0-9A-Fa-f]{1,64}")
_PUBLIC_KEY_ID = re.compile(r"PUB_KEY_ID_[0-9A-Za-z]{1,64}")

KeyMaterial = Union[x509.Certificate, rsa.RSAPublicKey, str, bytes]


def is_public_key_id(serial: str) -> bool:
    """Return whether a Wechatpay-Serial value is a WeChat Pay public-key id."""
    return serial.startswith(PUBLIC_KEY_ID_PREFIX)


def is_valid_serial(serial: str) -> bool:
    """Return whether a Wechatpay-Serial value has the form of a hex serial or a public-key id."""
    if is_public_key_id(serial):
        return _PUBLIC_KEY_ID.fullmatch(serial) is not None
    return _HEX_SERIAL.fullmatch(serial) is not None


def certificate_serial(certificate: x509.Certificate) -> str:
    """Return a certificate's serial as WeChat Pay writes it: upper-case hex, no prefix."""
    return format(certificate.serial_number, "X")


def normalize_serial(serial: str) -> str:
    """Return the registry key of a Wechatpay-Serial value.

    Hex serials compare as numbers, so case and leading zeros do not matter. Public-key
    ids compare exactly, because they are ids, not numbers.
    """
    if is_public_key_id(serial):
        return serial
    return format(int(serial, 16), "X")


def load_public_key(material: KeyMaterial, *, label: str = "key") -> tuple[rsa.RSAPublicKey, x509.Certificate | None]:
    """Load an RSA public key from a certificate, a key object, or PEM text or bytes.

    Returns:
        The public key and, when the material was a certificate, the certificate.

    Raises:
        KeyConfigError: the material is not PEM, not RSA, or shorter than 2048 bits.
    """
    certificate: x509.Certificate | None = None
    if isinstance(material, x509.Certificate):
        certificate = material
        public_key = material.public_key()
    elif isinstance(material, rsa.RSAPublicKey):
        public_key = material
    elif isinstance(material, (str, bytes)):
        pem = material.encode("ascii", "replace") if isinstance(material, str) else material
        if b"-----BEGIN CERTIFICATE-----" in pem:
            try:
                certificate = x509.load_pem_x509_certificate(pem)
            except ValueError as exc:
                raise KeyConfigError(f"{label}: invalid PEM certificate ({exc})") from None
            public_key = certificate.public_key()
        elif b"-----BEGIN PUBLIC KEY-----" in pem or b"-----BEGIN RSA PUBLIC KEY-----" in pem:
            try:
                public_key = serialization.load_pem_public_key(pem)
            except ValueError as exc:
                raise KeyConfigError(f"{label}: invalid PEM public key ({exc})") from None
        elif b"PRIVATE KEY-----" in pem:
            raise KeyConfigError(
                f"{label}: this is a private key. Callbacks are verified with WeChat Pay's "
                "platform certificate or WeChat Pay public key, never with a private key"
            )
        else:
            raise KeyConfigError(
                f"{label}: expected a PEM certificate or public key "
                "(-----BEGIN CERTIFICATE----- or -----BEGIN PUBLIC KEY-----)"
            )
    else:
        raise KeyConfigError(
            f"{label}: expected an x509.Certificate, an RSA public key, or PEM text or bytes; "
            f"got {type(material).__name__}"
        )

    if not isinstance(public_key, rsa.RSAPublicKey):
        raise KeyConfigError(f"{label}: WECHATPAY2-SHA256-RSA2048 needs an RSA key; got {type(public_key).__name__}")
    if public_key.key_size < MIN_RSA_KEY_BITS:
        raise KeyConfigError(f"{label}: RSA key has {public_key.key_size} bits; at least {MIN_RSA_KEY_BITS} are required")
    return public_key, certificate  # type: ignore[return-value]


@dataclass(frozen=True)
class RegisteredKey:
    """A verification key and the Wechatpay-Serial value it was registered under."""

    serial: str
    public_key: rsa.RSAPublicKey
    certificate: x509.Certificate | None

    @property
    def kind(self) -> str:
        """`public_key` for a WeChat Pay public key, `certificate` for a platform certificate."""
        return "public_key" if is_public_key_id(self.serial) else "certificate"


class KeyRegistry:
    """Verification keys by Wechatpay-Serial, both platform certificates and public keys."""

    def __init__(self, public_keys: Mapping[str, KeyMaterial] | None = None) -> None:
        self._keys: dict[str, RegisteredKey] = {}
        if public_keys is not None:
            self.update(public_keys)

    def update(self, public_keys: Mapping[str, KeyMaterial]) -> None:
        """Add keys, keeping those already present (old and new serials during rotation).

        Raises:
            KeyConfigError: a serial has the wrong form, or a certificate is registered
                under a serial that is not its own (for example the decimal form).
        """
        if not isinstance(public_keys, Mapping):
            raise KeyConfigError(
                "public_keys must be a mapping from Wechatpay-Serial to a certificate or public key; "
                f"got {type(public_keys).__name__}"
            )
        # Every entry is checked before any is added, so a bad entry changes nothing.
        entries = [self._check_entry(serial, material) for serial, material in public_keys.items()]
        for entry in entries:
            self._keys[normalize_serial(entry.serial)] = entry

    @staticmethod
    def _check_entry(serial: object, material: KeyMaterial) -> RegisteredKey:
        if not isinstance(serial, str) or not is_valid_serial(serial):
            raise KeyConfigError(
                f"public_keys: {serial!r} is not a Wechatpay-Serial value; use the platform "
                "certificate's serial in hex (like 5157F09EFDC096DE15EBE81A47057A7232F1B8E1) "
                "or the WeChat Pay public-key id (PUB_KEY_ID_...)"
            )
        public_key, certificate = load_public_key(material, label=f"public_keys[{serial!r}]")
        if certificate is not None:
            actual = certificate_serial(certificate)
            if is_public_key_id(serial):
                raise KeyConfigError(
                    f"public_keys[{serial!r}]: a public-key id maps to a bare public key "
                    f"(-----BEGIN PUBLIC KEY-----), but a certificate with serial {actual} was given"
                )
            if normalize_serial(serial) != actual:
                hint = ""
                if serial == str(certificate.serial_number):
                    hint = " The serial was written in decimal; WeChat Pay sends it in hex."
                raise KeyConfigError(
                    f"public_keys[{serial!r}]: the certificate's serial is {actual}, "
                    f"so Wechatpay-Serial will never match this entry.{hint}"
                )
        return RegisteredKey(serial=serial if is_public_key_id(serial) else normalize_serial(serial),
                             public_key=public_key, certificate=certificate)

    def get(self, serial: str) -> RegisteredKey | None:
        """Return the key registered for a Wechatpay-Serial value, or None."""
        if not is_valid_serial(serial):
            return None
        return self._keys.get(normalize_serial(serial))

    def serials(self) -> list[str]:
        """Return the registered serials and public-key ids, sorted."""
        return sorted(entry.serial for entry in self._keys.values())

    def __contains__(self, serial: object) -> bool:
        return isinstance(serial, str) and self.get(serial) is not None

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self.serials())
