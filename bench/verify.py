#!/usr/bin/env python3
"""Benchmark CallbackVerifier.verify against the bare primitives and against wechatpayv3.

Usage: .venv/bin/python bench/verify.py [--rounds N]

All three verify and decrypt the same simulated TRANSACTION.SUCCESS notification:
- bare: base64 decode, RSA PKCS#1 v1.5 verify, AES-GCM decrypt, json.loads, nothing else;
- ours: CallbackVerifier.verify with every check;
- wechatpayv3: WeChatPay.callback, offline in public-key mode.
It prints the median time per call of each and the ratios, measured in one run so that
the ratios hold even when the machine's absolute speed varies.
"""

from __future__ import annotations

import argparse
import base64
import json
import platform as host
import statistics
import sys
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import wxpay_lesson
from wxpay_lesson import CallbackVerifier, SimulatedPlatform, load_test_keys

NOW = 1704074400


def median_seconds(function: Callable[[], object], rounds: int, batch: int) -> float:
    """Return the median time of one call, over `rounds` batches of `batch` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(batch):
            function()
        samples.append((time.perf_counter() - start) / batch)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description="benchmark callback verification")
    parser.add_argument("--rounds", type=int, default=15, help="number of timed batches (default 15)")
    parser.add_argument("--batch", type=int, default=200, help="calls per batch (default 200)")
    args = parser.parse_args()

    platform = SimulatedPlatform(clock=lambda: NOW)
    headers, body = platform.notify(platform.transaction("ORDER-BENCH-1", 9900), timestamp=NOW,
                                    nonce="b" * 32, resource_nonce="Ab3dEf6hIj9k", key_id=platform.public_key_id)
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW)
    public_key = load_test_keys().wechatpay_public_key.public_key
    aes = AESGCM(str(platform.api_v3_key).encode())

    def bare() -> object:
        message = f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n".encode() + body + b"\n"
        public_key.verify(base64.b64decode(headers["Wechatpay-Signature"]), message, padding.PKCS1v15(), hashes.SHA256())
        resource = json.loads(body)["resource"]
        plaintext = aes.decrypt(resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]),
                                resource["associated_data"].encode())
        return json.loads(plaintext)

    def ours() -> object:
        return verifier.verify(headers, body)

    candidates: dict[str, Callable[[], object]] = {"bare primitives": bare, "CallbackVerifier.verify": ours}
    try:
        from wechatpayv3 import WeChatPay, WeChatPayType

        keys = load_test_keys()
        merchant_pem = keys.merchant_api.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        sdk = WeChatPay(wechatpay_type=WeChatPayType.JSAPI, mchid=keys.mchid, private_key=merchant_pem,
                        cert_serial_no=keys.merchant_api.serial, appid=keys.appid, apiv3_key=str(platform.api_v3_key),
                        public_key=keys.wechatpay_public_key.public_key_pem, public_key_id=platform.public_key_id)
        assert sdk.callback(headers, body) is not None
        candidates["wechatpayv3 callback()"] = lambda: sdk.callback(headers, body)
    except ImportError:
        print("wechatpayv3 is not installed; skipping it", file=sys.stderr)

    assert bare() == ours().resource  # type: ignore[attr-defined]
    for function in candidates.values():  # warm up
        function()

    results = {name: median_seconds(function, args.rounds, args.batch) for name, function in candidates.items()}
    base = results["bare primitives"]
    print(f"wxpay_lesson {wxpay_lesson.__version__}, Python {host.python_version()}, {host.machine()}, "
          f"{args.rounds} x {args.batch} calls each")
    print(f"{'implementation':28} {'median µs/call':>15} {'vs bare':>8}")
    for name, seconds in results.items():
        print(f"{name:28} {seconds * 1e6:15.1f} {seconds / base:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
