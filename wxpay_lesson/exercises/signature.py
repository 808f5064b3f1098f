"""Checks for the exercises of notebooks 00, 01 and 02: trust, anatomy and signatures.

Each `check_*` function calls the learner's function on hidden cases built with the
simulated platform and its fixed TEST-ONLY keys, and returns a `CheckReport` that names
the cases that pass and, for each failure, what was expected. Every case uses a fixed
timestamp and fixed nonces, so a report reads the same on every run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..aead import encrypt_resource
from ..errors import (
    CallbackError,
    DecryptionError,
    InvalidSignatureError,
    MissingHeaderError,
    UnknownSerialError,
)
from ..i18n import normalize_language
from ..signature import build_message, sign_message
from ..simulator import SimulatedPlatform, compact_json
from ._checking import CheckReport

# 2024-01-01T10:00:00+08:00, the fixed "now" of every case.
FIXED_NOW = 1704074400
_HEADER_NONCE = "kQ3vT8wZ1yB6nM4pR7sD2fG5hJ9cX0aE"
_RESOURCE_NONCE = "u5Wq8Rt2Yp4L"

PARTIES = frozenset({"merchant", "wechatpay", "client"})

# The parties that may keep each secret. The client (app, mini program or web page) runs
# on the user's device, so it keeps none of them.
SECRET_HOLDERS: dict[str, frozenset[str]] = {
    "apiv3_key": frozenset({"merchant", "wechatpay"}),
    "apiv2_key": frozenset({"merchant", "wechatpay"}),
    "merchant_api_private_key": frozenset({"merchant"}),
    "platform_private_key": frozenset({"wechatpay"}),
    "wechatpay_public_key_private_key": frozenset({"wechatpay"}),
}

# (message source, whether the sender proved who it is) → may the order state change?
# Only a verified callback or a verified order-query reply comes from WeChat Pay.
ORDER_CHANGE_CASES: tuple[tuple[str, bool, bool], ...] = (
    ("callback", True, True),
    ("callback", False, False),
    ("order_query", True, True),
    ("order_query", False, False),
    ("client", True, False),
    ("client", False, False),
    ("return_url", True, False),
    ("return_url", False, False),
)

SIGNATURE_HEADER_FIELDS = ("timestamp", "nonce", "serial", "signature")


# Every text a check report shows, in English and Simplified Chinese. A notebook in
# notebooks/zh-CN/ gets Chinese reports from the same code cell as the English edition.
_TEXTS: dict[str, tuple[str, str]] = {
    "exercise_key_holders": ("key holders", "密钥持有方"),
    "exercise_may_change_order": ("may change order", "能否改变订单状态"),
    "exercise_signature_headers": ("signature headers", "签名请求头"),
    "exercise_decrypt_notification": ("decrypt notification", "解密通知"),
    "exercise_build_message": ("build message", "构造验签串"),
    "exercise_verify_callback": ("verify callback", "验证回调签名"),
    "exercise_timestamp_window": ("timestamp window", "时间戳窗口"),
    # _describe_difference
    "crlf": ("the message contains CRLF, but every line must end with LF (\\n) only",
             "验签串中有 CRLF，每一行都只能以 LF（\\n）结尾"),
    "final_lf": ("the final LF is missing: the body line ends with \\n too",
                 "缺少最后的 LF：报文主体这一行也以 \\n 结尾"),
    "trailing_lf": ("the number of LF characters at the end is wrong. Keep the body exactly as received",
                    "末尾 LF 的个数不对，报文主体必须与收到的字节完全一致"),
    "length": ("expected {expected} bytes, got {actual}", "应为 {expected} 字节，实际为 {actual} 字节"),
    "offset": ("the bytes differ from offset {offset} on", "从第 {offset} 个字节起不一致"),
    # key holders
    "want_set": ("return a set of parties, like {{'merchant'}}, not {type}",
                 "请返回参与方的集合，例如 {{'merchant'}}，而不是 {type}"),
    "unknown_parties": ("unknown parties {parties}: use merchant, wechatpay or client",
                        "未知的参与方 {parties}：只能是 merchant、wechatpay 或 client"),
    "client_holds_nothing": ("the client runs on the user's device, where anyone can read it, so it holds no secret",
                             "客户端运行在用户的设备上，任何人都能读取其内容，所以它不能持有任何密钥"),
    "expected_got": ("expected {expected}, got {actual}", "应为 {expected}，实际为 {actual}"),
    # may change order
    "verified_may_change": ("a verified {source} message comes from WeChat Pay, so it may change the order",
                            "验签通过的 {source} 消息来自微信支付，可以改变订单状态"),
    "device_proves_nothing": ("a {source} message comes from the user's device. Even from a logged-in user it "
                              "proves nothing about the payment",
                              "{source} 消息来自用户的设备，即使用户已登录，也不能证明支付结果"),
    "unverified_from_anyone": ("an unverified {source} message may come from anyone",
                               "未验签的 {source} 消息可能来自任何人"),
    # signature headers
    "label_canonical": ("canonical names", "标准写法的请求头名"),
    "label_lower": ("lower-case names (FastAPI, Go)", "小写的请求头名（FastAPI、Go）"),
    "label_upper": ("upper-case names", "大写的请求头名"),
    "label_django": ("Django request.META names", "Django request.META 的写法"),
    "label_header_missing": ("{header} missing", "缺少 {header}"),
    "label_header_empty": ("{header} empty", "{header} 为空"),
    "want_dict": ("return a dict, not {type}", "请返回 dict，而不是 {type}"),
    "missing_keys": ("the dict lacks the keys {keys}", "dict 缺少这些键：{keys}"),
    "wrong_values": ("wrong values for {keys}: copy each header value exactly, as text",
                     "{keys} 的值不对：请按原样复制每个请求头的文本值"),
    "want_missing_header": ("returned {type} instead of raising MissingHeaderError",
                            "返回了 {type}，应当抛出 MissingHeaderError"),
    "wrong_missing_header": ("MissingHeaderError names {got!r}; the missing header is {expected!r}",
                             "MissingHeaderError 指明的是 {got!r}，实际缺少的是 {expected!r}"),
    # decrypt notification
    "label_refund": ("REFUND.SUCCESS (associated_data refund)", "REFUND.SUCCESS（associated_data 为 refund）"),
    "label_no_associated_data": ("associated_data absent (decrypt with empty associated data)",
                                 "没有 associated_data 字段（按空的附加数据解密）"),
    "want_parsed_dict": ("return the decrypted JSON parsed into a dict, not bytes or text",
                         "请把解密得到的 JSON 解析成 dict 再返回，不要返回 bytes 或文本"),
    "dict_differs": ("the decrypted dict differs from the resource that was encrypted",
                     "解密得到的 dict 与加密前的资源不一致"),
    "label_wrong_key": ("wrong APIv3 key", "错误的 APIv3 密钥"),
    "label_apiv2_key": ("APIv2 key used as the APIv3 key", "把 APIv2 密钥当作 APIv3 密钥"),
    "label_ciphertext_changed": ("ciphertext changed", "ciphertext 被改动"),
    "label_associated_data_changed": ("associated_data changed", "associated_data 被改动"),
    "want_decryption_error": ("returned a result, but an authentication failure must raise DecryptionError",
                              "返回了结果，但认证失败时必须抛出 DecryptionError"),
    # build message
    "label_notification_body": ("a notification body", "一条通知的报文主体"),
    "label_chinese_body": ("a body with Chinese text", "含中文的报文主体"),
    "label_body_newline": ("a body that ends with a newline", "以换行结尾的报文主体"),
    "label_body_crlf": ("a body with CRLF inside", "内含 CRLF 的报文主体"),
    "label_empty_body": ("an empty body (a 204 reply)", "空的报文主体（204 应答）"),
    "returned_str": ("returned str: return bytes, because the signature covers bytes",
                     "返回了 str：请返回 bytes，因为签名覆盖的是字节"),
    "want_bytes": ("return bytes, not {type}", "请返回 bytes，而不是 {type}"),
    # verify callback
    "label_genuine_certificate": ("genuine, platform certificate", "真实回调，平台证书"),
    "label_genuine_public_key": ("genuine, WeChat Pay public key (PUB_KEY_ID_)", "真实回调，微信支付公钥（PUB_KEY_ID_）"),
    "label_one_byte": ("one byte of the body changed", "报文主体改动了一个字节"),
    "label_timestamp_changed": ("Wechatpay-Timestamp changed", "Wechatpay-Timestamp 被改动"),
    "label_attacker": ("signed by an attacker's key", "用攻击者的密钥签名"),
    "label_probe": ("WECHATPAY/SIGNTEST/ probe", "WECHATPAY/SIGNTEST/ 签名探测"),
    "label_unknown_serial": ("serial of a certificate not loaded", "未加载的证书序列号"),
    "genuine_raised": ("a genuine callback raised {error}: choose the key by Wechatpay-Serial",
                       "真实回调却抛出了 {error}：请按 Wechatpay-Serial 选择密钥"),
    "raised_other": ("raised {error}, expected {expected}", "抛出了 {error}，应为 {expected}"),
    "accepted": ("accepted it, expected {expected}", "接受了它，应当抛出 {expected}"),
    # timestamp window
    "label_same_second": ("same second", "同一秒"),
    "label_299_past": ("299 s in the past", "早 299 秒"),
    "label_299_future": ("299 s in the future", "晚 299 秒"),
    "label_300_past": ("300 s in the past", "早 300 秒"),
    "label_300_future": ("300 s in the future", "晚 300 秒"),
    "label_hour_past": ("1 hour in the past (a replay)", "早 1 小时（重放）"),
    "label_day_future": ("1 day in the future", "晚 1 天"),
    "label_not_unix_seconds": ("not Unix seconds: 2024-01-01T10:00:00+08:00", "不是 Unix 秒：2024-01-01T10:00:00+08:00"),
    "label_empty": ("empty", "空值"),
    "want_bool": ("return True or False, not {type}", "请返回 True 或 False，而不是 {type}"),
    "accept_in_window": ("this timestamp is within the window, so accept it", "这个时间戳在窗口内，应当接受"),
    "reject_outside_window": ("reject it: a distance of 300 s or more, in the past or the future, is outside the window",
                              "应当拒绝：与当前时间相差 300 秒或更多（无论早晚）都在窗口之外"),
}


def _report_language() -> str:
    """Return `zh-CN` or `en`: WXPAY_LESSON_LANG if set, else the working folder's name.

    A notebook kernel starts in the notebook's folder. Unlike
    `i18n.language_from_environment`, LANG is ignored, so that the committed outputs of
    the English notebooks also match on a machine with a Chinese locale.
    """
    chosen = os.environ.get("WXPAY_LESSON_LANG")
    if chosen:
        return normalize_language(chosen)
    return "zh-CN" if Path.cwd().name == "zh-CN" else "en"


def _text(key: str, **values: Any) -> str:
    """Return a report text in the report language, with `values` filled in."""
    english, chinese = _TEXTS[key]
    template = chinese if _report_language() == "zh-CN" else english
    return template.format(**values)


def _platform() -> SimulatedPlatform:
    return SimulatedPlatform(clock=lambda: FIXED_NOW)


@lru_cache(maxsize=1)
def _genuine() -> tuple[dict[str, str], bytes]:
    platform = _platform()
    resource = platform.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
    return platform.notify(resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE,
                           notification_id="EV-CHECK-0001")


def _describe_difference(expected: bytes, actual: bytes) -> str:
    """Name the likeliest cause of a wrong signed message, without printing the body."""
    if actual.count(b"\r\n") > expected.count(b"\r\n"):
        return _text("crlf")
    if actual == expected[:-1]:
        return _text("final_lf")
    if actual.rstrip(b"\n") == expected.rstrip(b"\n"):
        return _text("trailing_lf")
    if len(actual) != len(expected):
        return _text("length", expected=len(expected), actual=len(actual))
    first = next(i for i, (a, b) in enumerate(zip(expected, actual)) if a != b)
    return _text("offset", offset=first)


def outcome(action: Callable[[], Any]) -> str:
    """Run `action` and return `OK`, or the class name and code of the `CallbackError` it raised.

    The notebooks use it to show many verification attempts in one cell. Other
    exceptions propagate, because they are bugs rather than rejections.
    """
    try:
        action()
    except CallbackError as exc:
        return f"{type(exc).__name__} ({exc.code})"
    return "OK"


# ---------------------------------------------------------------- notebook 00


def check_key_holders(fn: Callable[[str], Any]) -> CheckReport:
    """Check `fn(secret_name) -> set of parties` that may hold each secret.

    Parties are `merchant`, `wechatpay` and `client`.
    """
    report = CheckReport(_text("exercise_key_holders"))
    for secret, expected in SECRET_HOLDERS.items():

        def case(secret: str = secret, expected: frozenset[str] = expected) -> tuple[bool, str]:
            answer = fn(secret)
            if not isinstance(answer, (set, frozenset)):
                return False, _text("want_set", type=type(answer).__name__)
            unknown = set(answer) - PARTIES
            if unknown:
                return False, _text("unknown_parties", parties=sorted(unknown))
            if "client" in answer:
                return False, _text("client_holds_nothing")
            if set(answer) != expected:
                return False, _text("expected_got", expected=sorted(expected), actual=sorted(answer))
            return True, ""

        report.run_case(secret, case)
    return report


def check_may_change_order(fn: Callable[[str, bool], Any]) -> CheckReport:
    """Check `fn(source, verified) -> bool`: may this message change the order state?"""
    report = CheckReport(_text("exercise_may_change_order"))
    for source, verified, expected in ORDER_CHANGE_CASES:

        def case(source: str = source, verified: bool = verified, expected: bool = expected) -> tuple[bool, str]:
            answer = fn(source, verified)
            if not isinstance(answer, bool):
                return False, _text("want_bool", type=type(answer).__name__)
            if answer == expected:
                return True, ""
            if expected:
                return False, _text("verified_may_change", source=source)
            if source in ("client", "return_url"):
                return False, _text("device_proves_nothing", source=source)
            return False, _text("unverified_from_anyone", source=source)

        label = f"{source}, verified={verified}"
        report.run_case(label, case)
    return report


# ---------------------------------------------------------------- notebook 01


def _header_cases() -> list[tuple[str, dict[str, str]]]:
    headers, _ = _genuine()
    wechatpay_headers = {name: value for name, value in headers.items() if name.lower().startswith("wechatpay-")}
    return [
        (_text("label_canonical"), dict(headers)),
        (_text("label_lower"), {name.lower(): value for name, value in wechatpay_headers.items()}),
        (_text("label_upper"), {name.upper(): value for name, value in wechatpay_headers.items()}),
        (_text("label_django"),
         {"HTTP_" + name.upper().replace("-", "_"): value for name, value in wechatpay_headers.items()}),
    ]


def check_signature_headers(fn: Callable[[Mapping[str, str]], Any]) -> CheckReport:
    """Check `fn(headers) -> dict` with keys timestamp, nonce, serial and signature.

    Header names are case-insensitive, and Django's `HTTP_WECHATPAY_*` names count too.
    A missing or empty header must raise `MissingHeaderError`.
    """
    report = CheckReport(_text("exercise_signature_headers"))
    genuine_headers, _ = _genuine()
    expected = {
        "timestamp": genuine_headers["Wechatpay-Timestamp"],
        "nonce": genuine_headers["Wechatpay-Nonce"],
        "serial": genuine_headers["Wechatpay-Serial"],
        "signature": genuine_headers["Wechatpay-Signature"],
    }
    for label, headers in _header_cases():

        def found(headers: dict[str, str] = headers) -> tuple[bool, str]:
            answer = fn(dict(headers))
            if not isinstance(answer, Mapping):
                return False, _text("want_dict", type=type(answer).__name__)
            missing = [key for key in SIGNATURE_HEADER_FIELDS if key not in answer]
            if missing:
                return False, _text("missing_keys", keys=missing)
            wrong = [key for key in SIGNATURE_HEADER_FIELDS if answer[key] != expected[key]]
            if wrong:
                return False, _text("wrong_values", keys=wrong)
            return True, ""

        report.run_case(label, found)

    for removed in ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature"):
        without = {name: value for name, value in genuine_headers.items() if name != removed}
        empty = dict(genuine_headers, **{removed: ""})
        for label, headers in ((_text("label_header_missing", header=removed), without),
                               (_text("label_header_empty", header=removed), empty)):

            def rejected(headers: dict[str, str] = headers, removed: str = removed) -> tuple[bool, str]:
                try:
                    answer = fn(dict(headers))
                except MissingHeaderError as exc:
                    if exc.header.lower() != removed.lower():
                        return False, _text("wrong_missing_header", got=exc.header, expected=removed)
                    return True, ""
                return False, _text("want_missing_header", type=type(answer).__name__)

            report.run_case(label, rejected)
    return report


def _sealed_body(platform: SimulatedPlatform, plaintext: bytes, associated_data: str | None,
                 original_type: str, event_type: str) -> bytes:
    resource: dict[str, Any] = {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": encrypt_resource(platform.api_v3_key, _RESOURCE_NONCE, associated_data or "", plaintext),
        "nonce": _RESOURCE_NONCE,
    }
    if associated_data is not None:
        resource["associated_data"] = associated_data
    envelope = {
        "id": "EV-CHECK-0002",
        "create_time": "2024-01-01T10:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": resource,
    }
    return compact_json(envelope)


def check_decrypt_notification(fn: Callable[[str, bytes], Any]) -> CheckReport:
    """Check `fn(api_v3_key, body) -> dict`: the decrypted resource of a verified body.

    A wrong key or a changed ciphertext must raise `DecryptionError`.
    """
    report = CheckReport(_text("exercise_decrypt_notification"))
    platform = _platform()
    transaction = platform.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
    refund = platform.refund("ORDER-20240101-0001", "REFUND-20240101-0001", 9900, 3300)
    _, transaction_body = _genuine()
    _, refund_body = platform.notify(refund, event_type="REFUND.SUCCESS", timestamp=FIXED_NOW,
                                     nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE)
    no_associated_data = _sealed_body(platform, compact_json(transaction), None, "transaction", "TRANSACTION.SUCCESS")

    for label, body, expected in (
        ("TRANSACTION.SUCCESS", transaction_body, transaction),
        (_text("label_refund"), refund_body, refund),
        (_text("label_no_associated_data"), no_associated_data, transaction),
    ):

        def decrypted(body: bytes = body, expected: dict[str, Any] = expected) -> tuple[bool, str]:
            answer = fn(platform.api_v3_key, body)
            if isinstance(answer, (bytes, str)):
                return False, _text("want_parsed_dict")
            if answer != expected:
                return False, _text("dict_differs")
            return True, ""

        report.run_case(label, decrypted)

    tampered = json.loads(transaction_body)
    sealed = tampered["resource"]["ciphertext"]
    tampered["resource"]["ciphertext"] = ("A" if sealed[0] != "A" else "B") + sealed[1:]
    changed_ad = json.loads(transaction_body)
    changed_ad["resource"]["associated_data"] = "refund"
    for label, key, body in (
        (_text("label_wrong_key"), "fedcba9876543210fedcba9876543210", transaction_body),
        (_text("label_apiv2_key"), platform.keys.api_v2_key, transaction_body),
        (_text("label_ciphertext_changed"), platform.api_v3_key, compact_json(tampered)),
        (_text("label_associated_data_changed"), platform.api_v3_key, compact_json(changed_ad)),
    ):

        def rejected(key: str = key, body: bytes = body) -> tuple[bool, str]:
            try:
                fn(key, body)
            except DecryptionError:
                return True, ""
            return False, _text("want_decryption_error")

        report.run_case(label, rejected)
    return report


# ---------------------------------------------------------------- notebook 02


def check_build_message(fn: Callable[[str, str, bytes], Any]) -> CheckReport:
    """Check `fn(timestamp, nonce, body) -> bytes` against the signed-message rule."""
    report = CheckReport(_text("exercise_build_message"))
    _, genuine_body = _genuine()
    cases = (
        (_text("label_notification_body"), "1704074400", _HEADER_NONCE, genuine_body),
        (_text("label_chinese_body"), "1704074400", "n0nce", '{"summary":"支付成功"}'.encode("utf-8")),
        (_text("label_body_newline"), "1704074401", "n0nce", b'{"a":1}\n'),
        (_text("label_body_crlf"), "1704074402", "n0nce", b'{"a":\r\n1}'),
        (_text("label_empty_body"), "1704074403", "n0nce", b""),
    )
    for label, timestamp, nonce, body in cases:

        def built(timestamp: str = timestamp, nonce: str = nonce, body: bytes = body) -> tuple[bool, str]:
            answer = fn(timestamp, nonce, body)
            if isinstance(answer, str):
                return False, _text("returned_str")
            if not isinstance(answer, bytes):
                return False, _text("want_bytes", type=type(answer).__name__)
            expected = build_message(timestamp, nonce, body)
            if answer == expected:
                return True, ""
            return False, _describe_difference(expected, answer)

        report.run_case(label, built)
    return report


def _verification_cases() -> list[tuple[str, dict[str, str], bytes, type[CallbackError] | None]]:
    platform = _platform()
    headers, body = _genuine()
    resource = platform.transaction("ORDER-20240101-0002", 100, transaction_id="4200000000000000000000000002")
    public_key_headers, public_key_body = platform.notify(
        resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE,
        key_id=platform.public_key_id)
    probe_headers, probe_body = platform.notify(resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE,
                                                resource_nonce=_RESOURCE_NONCE, probe=True)
    rotated_headers, rotated_body = platform.notify(
        resource, timestamp=FIXED_NOW, nonce=_HEADER_NONCE, resource_nonce=_RESOURCE_NONCE,
        key_id=platform.next_certificate_serial)

    index = body.index(b"2024")
    one_byte_changed = body[:index] + b"2025" + body[index + 4:]
    forged = dict(headers)
    forged["Wechatpay-Signature"] = sign_message(
        platform.keys.attacker.private_key,
        build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body))
    new_timestamp = dict(headers, **{"Wechatpay-Timestamp": str(FIXED_NOW + 60)})
    return [
        (_text("label_genuine_certificate"), headers, body, None),
        (_text("label_genuine_public_key"), public_key_headers, public_key_body, None),
        (_text("label_one_byte"), headers, one_byte_changed, InvalidSignatureError),
        (_text("label_timestamp_changed"), new_timestamp, body, InvalidSignatureError),
        (_text("label_attacker"), forged, body, InvalidSignatureError),
        (_text("label_probe"), probe_headers, probe_body, InvalidSignatureError),
        (_text("label_unknown_serial"), rotated_headers, rotated_body, UnknownSerialError),
    ]


def check_verify_callback(fn: Callable[[Mapping[str, str], bytes, Mapping[str, Any]], Any]) -> CheckReport:
    """Check `fn(headers, body, public_keys)`, which returns on success and raises on failure.

    `public_keys` maps Wechatpay-Serial values to RSA public keys. An unknown serial must
    raise `UnknownSerialError`. A signature that does not match must raise
    `InvalidSignatureError`, and its subclass `SignatureProbeError` counts as one.
    """
    report = CheckReport(_text("exercise_verify_callback"))
    platform = _platform()
    public_keys = {
        platform.certificate_serial: platform.keys.platform.public_key,
        platform.public_key_id: platform.keys.wechatpay_public_key.public_key,
    }
    for label, headers, body, expected_error in _verification_cases():

        def verified(headers: dict[str, str] = headers, body: bytes = body,
                     expected_error: type[CallbackError] | None = expected_error) -> tuple[bool, str]:
            try:
                fn(dict(headers), body, dict(public_keys))
            except CallbackError as exc:
                if expected_error is None:
                    return False, _text("genuine_raised", error=type(exc).__name__)
                if isinstance(exc, expected_error):
                    return True, ""
                return False, _text("raised_other", error=type(exc).__name__, expected=expected_error.__name__)
            if expected_error is not None:
                return False, _text("accepted", expected=expected_error.__name__)
            return True, ""

        report.run_case(label, verified)
    return report


# (label key, Wechatpay-Timestamp header, expected freshness) around FIXED_NOW.
_WINDOW_CASES: tuple[tuple[str, str, bool], ...] = (
    ("label_same_second", str(FIXED_NOW), True),
    ("label_299_past", str(FIXED_NOW - 299), True),
    ("label_299_future", str(FIXED_NOW + 299), True),
    ("label_300_past", str(FIXED_NOW - 300), False),
    ("label_300_future", str(FIXED_NOW + 300), False),
    ("label_hour_past", str(FIXED_NOW - 3600), False),
    ("label_day_future", str(FIXED_NOW + 86400), False),
    ("label_not_unix_seconds", "2024-01-01T10:00:00+08:00", False),
    ("label_empty", "", False),
)


def check_timestamp_window(fn: Callable[[str, float], Any]) -> CheckReport:
    """Check `fn(timestamp, now) -> bool`: is the header within 300 s of `now`, either way?

    A value that is not decimal Unix seconds must return False.
    """
    report = CheckReport(_text("exercise_timestamp_window"))
    for label_key, timestamp, expected in _WINDOW_CASES:

        def judged(timestamp: str = timestamp, expected: bool = expected) -> tuple[bool, str]:
            answer = fn(timestamp, float(FIXED_NOW))
            if not isinstance(answer, bool):
                return False, _text("want_bool", type=type(answer).__name__)
            if answer == expected:
                return True, ""
            if expected:
                return False, _text("accept_in_window")
            return False, _text("reject_outside_window")

        report.run_case(_text(label_key), judged)
    return report


__all__ = [
    "check_build_message",
    "check_decrypt_notification",
    "check_key_holders",
    "check_may_change_order",
    "check_signature_headers",
    "check_timestamp_window",
    "check_verify_callback",
    "outcome",
]
