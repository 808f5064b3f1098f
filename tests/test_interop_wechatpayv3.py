"""Cross-implementation: the independent `wechatpayv3` SDK accepts our simulated notifications.

wechatpayv3 is loaded offline, from a folder of platform certificates or in public-key
mode. It would download certificates for an unknown serial, so every test keeps the
serial known and the download path raises if it is ever reached.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

wechatpayv3 = pytest.importorskip("wechatpayv3")
from wechatpayv3 import WeChatPay, WeChatPayType  # noqa: E402
from wechatpayv3.core import Core  # noqa: E402

from wxpay_lesson import CallbackError, CallbackVerifier, SimulatedPlatform, load_test_keys  # noqa: E402

from .conftest import NOW  # noqa: E402


@pytest.fixture(autouse=True)
def no_certificate_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Core) -> None:
        raise AssertionError("wechatpayv3 tried to download certificates from the network")

    monkeypatch.setattr(Core, "_update_certificates", refuse)


def merchant_private_key_pem() -> str:
    key = load_test_keys().merchant_api.private_key
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def sdk_with_certificates(platform: SimulatedPlatform, folder: Path) -> WeChatPay:
    certificate = platform.certificate(platform.certificate_serial)
    (folder / f"{platform.certificate_serial}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keys = load_test_keys()
    return WeChatPay(wechatpay_type=WeChatPayType.JSAPI, mchid=keys.mchid, private_key=merchant_private_key_pem(),
                     cert_serial_no=keys.merchant_api.serial, appid=keys.appid, apiv3_key=str(platform.api_v3_key),
                     cert_dir=str(folder))


def sdk_with_public_key(platform: SimulatedPlatform) -> WeChatPay:
    keys = load_test_keys()
    return WeChatPay(wechatpay_type=WeChatPayType.JSAPI, mchid=keys.mchid, private_key=merchant_private_key_pem(),
                     cert_serial_no=keys.merchant_api.serial, appid=keys.appid, apiv3_key=str(platform.api_v3_key),
                     public_key=keys.wechatpay_public_key.public_key_pem, public_key_id=platform.public_key_id)


@pytest.mark.parametrize("mode", ["certificate", "public_key"])
@pytest.mark.parametrize("event_type", ["TRANSACTION.SUCCESS", "REFUND.SUCCESS"])
def test_sdk_accepts_simulated_notification(platform: SimulatedPlatform, verifier: CallbackVerifier, tmp_path: Path,
                                            mode: str, event_type: str) -> None:
    if event_type == "TRANSACTION.SUCCESS":
        resource = platform.transaction("ORDER-INTEROP-1", 9900, attach="自定义数据")
    else:
        resource = platform.refund("ORDER-INTEROP-1", "REFUND-INTEROP-1", 9900, 500)
    key_id = platform.certificate_serial if mode == "certificate" else platform.public_key_id
    headers, body = platform.notify(resource, event_type=event_type, timestamp=NOW, nonce="i" * 32,
                                    resource_nonce="Ab3dEf6hIj9k", key_id=key_id)
    sdk = sdk_with_certificates(platform, tmp_path) if mode == "certificate" else sdk_with_public_key(platform)

    theirs = sdk.callback(headers, body)
    ours = verifier.verify(headers, body)

    assert theirs is not None
    assert theirs["resource"] == ours.resource == resource
    assert theirs["id"] == ours.id
    assert theirs["event_type"] == ours.event_type == event_type


@pytest.mark.parametrize("mode", ["certificate", "public_key"])
def test_sdk_and_verifier_both_reject_tampering(platform: SimulatedPlatform, verifier: CallbackVerifier, tmp_path: Path,
                                                mode: str) -> None:
    key_id = platform.certificate_serial if mode == "certificate" else platform.public_key_id
    headers, body = platform.notify(platform.transaction("ORDER-INTEROP-2", 9900), timestamp=NOW, key_id=key_id)
    sdk = sdk_with_certificates(platform, tmp_path) if mode == "certificate" else sdk_with_public_key(platform)
    envelope = json.loads(body)
    tampered_bodies = [
        body.replace(b'"summary":"', b'"summary":"x'),
        body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCES5"),
        body + b"\n",
    ]
    for tampered in tampered_bodies:
        assert tampered != body
        assert sdk.callback(headers, tampered) is None
        with pytest.raises(CallbackError):
            verifier.verify(headers, tampered)
    assert envelope["resource"]["algorithm"] == "AEAD_AES_256_GCM"


def test_sdk_rejects_wrong_key_like_verifier(platform: SimulatedPlatform, tmp_path: Path) -> None:
    headers, body = platform.notify(platform.transaction("ORDER-INTEROP-3", 9900), timestamp=NOW)
    wrong = SimulatedPlatform(api_v3_key="fedcba9876543210fedcba9876543210", clock=lambda: NOW)
    sdk = sdk_with_certificates(wrong, tmp_path)
    # wechatpayv3 reports a wrong APIv3 key as None, the same as a forgery; our verifier
    # names the cause.
    assert sdk.callback(headers, body) is None
    verifier = CallbackVerifier(wrong.api_v3_key, wrong.public_keys, clock=lambda: NOW)
    from wxpay_lesson import DecryptionError

    with pytest.raises(DecryptionError):
        verifier.verify(headers, body)
