"""English and Simplified Chinese text for CLI messages and widget labels.

English is the source language. Error classes, codes and identifiers stay English in
both languages; only the human-readable text is translated.
"""

from __future__ import annotations

import os

LANGUAGES = ("en", "zh-CN")

# Plain explanation of each CallbackError code, for people rather than logs.
CODE_EXPLANATIONS: dict[str, dict[str, str]] = {
    "MISSING_HEADER": {
        "en": "A Wechatpay-* signature header is missing or empty, so nothing proves who sent the request.",
        "zh-CN": "缺少或为空的 Wechatpay-* 签名头，无法证明请求来自微信支付。",
    },
    "MALFORMED_HEADER": {
        "en": "A Wechatpay-* header has an invalid format.",
        "zh-CN": "Wechatpay-* 请求头的格式无效。",
    },
    "UNSUPPORTED_SIGNATURE_TYPE": {
        "en": "Wechatpay-Signature-Type names a scheme other than WECHATPAY2-SHA256-RSA2048.",
        "zh-CN": "Wechatpay-Signature-Type 不是 WECHATPAY2-SHA256-RSA2048。",
    },
    "TIMESTAMP_OUT_OF_WINDOW": {
        "en": "Wechatpay-Timestamp is more than 5 minutes from our clock: a replay, or a wrong server clock.",
        "zh-CN": "Wechatpay-Timestamp 与本机时间相差超过 5 分钟：可能是重放，或服务器时间不准。",
    },
    "UNKNOWN_SERIAL": {
        "en": "Wechatpay-Serial names no loaded platform certificate or WeChat Pay public key.",
        "zh-CN": "Wechatpay-Serial 对应的平台证书或微信支付公钥未加载。",
    },
    "SIGNATURE_PROBE": {
        "en": "WeChat Pay's signature probe (WECHATPAY/SIGNTEST/): reply with the normal failure status.",
        "zh-CN": "微信支付签名探测流量（WECHATPAY/SIGNTEST/）：按验签失败应答即可。",
    },
    "INVALID_SIGNATURE": {
        "en": "The RSA signature does not match the timestamp, nonce and raw body.",
        "zh-CN": "RSA 签名与时间戳、随机串和原始报文不匹配。",
    },
    "MALFORMED_NOTIFICATION": {
        "en": "The body or the decrypted resource is not the expected JSON.",
        "zh-CN": "报文或解密后的资源不是预期的 JSON。",
    },
    "UNSUPPORTED_ALGORITHM": {
        "en": "resource.algorithm is not AEAD_AES_256_GCM.",
        "zh-CN": "resource.algorithm 不是 AEAD_AES_256_GCM。",
    },
    "DECRYPTION_FAILED": {
        "en": "AES-GCM decryption failed: wrong APIv3 key, or a changed ciphertext, nonce or associated_data.",
        "zh-CN": "AES-GCM 解密失败：APIv3 密钥错误，或密文、nonce、associated_data 被改动。",
    },
    "BUSINESS_MISMATCH": {
        "en": "The verified notification does not match our own order record.",
        "zh-CN": "已验签的通知与本地订单记录不一致。",
    },
}


# Messages printed by the `merchant` and `platform` commands.
COMMAND_MESSAGES: dict[str, dict[str, str]] = {
    "insecure_without_flag": {
        "en": "error: defences switched off ({switches}) without --demo-insecure. This makes the merchant accept "
              "forged callbacks; add --demo-insecure only for a classroom demo.",
        "zh-CN": "错误：关闭了防护（{switches}）但没有指定 --demo-insecure。这会让商户接受伪造的回调；"
                 "仅在课堂演示时添加 --demo-insecure。",
    },
    "cannot_start": {
        "en": "error: cannot start the {service} on {host}:{port}: {error}",
        "zh-CN": "错误：无法在 {host}:{port} 上启动{service}：{error}",
    },
    "merchant_listening": {
        "en": "merchant listening on {url} (notify_url {notify_url}, database {database})",
        "zh-CN": "商户服务已在 {url} 上监听（notify_url 为 {notify_url}，数据库 {database}）",
    },
    "platform_listening": {
        "en": "platform listening on {url} (time scale {time_scale}, reply deadline {deadline} s)",
        "zh-CN": "模拟微信支付服务已在 {url} 上监听（时间缩放 {time_scale}，应答时限 {deadline} 秒）",
    },
    "service_merchant": {"en": "merchant", "zh-CN": "商户服务"},
    "service_platform": {"en": "platform", "zh-CN": "模拟微信支付服务"},
}


def command_message(key: str, lang: str | None = None, **values: object) -> str:
    """Return a `merchant` or `platform` command message in the given language."""
    return COMMAND_MESSAGES[key][normalize_language(lang)].format(**values)


def language_from_environment() -> str:
    """Return the default language: `zh-CN` or `en`.

    WXPAY_LESSON_LANG decides when set. Otherwise a process whose working folder is named
    `zh-CN` or `en` uses that language: a notebook kernel starts in the notebook's
    folder, so notebooks/zh-CN/ gets Chinese messages with the same code cells as
    notebooks/en/, whatever the machine's locale. Otherwise LANG decides.
    """
    chosen = os.environ.get("WXPAY_LESSON_LANG")
    if not chosen:
        folder = os.path.basename(os.getcwd())
        if folder in LANGUAGES:
            return folder
        chosen = os.environ.get("LANG", "")
    return "zh-CN" if chosen.lower().replace("_", "-").startswith("zh") else "en"


def normalize_language(lang: str | None) -> str:
    """Return one of LANGUAGES for a requested language, defaulting from the environment.

    Raises:
        ValueError: the language is neither `en` nor `zh-CN`.
    """
    if lang is None:
        return language_from_environment()
    lowered = lang.lower().replace("_", "-")
    if lowered in ("en", "en-us", "en-gb"):
        return "en"
    if lowered in ("zh", "zh-cn", "zh-hans"):
        return "zh-CN"
    raise ValueError(f"unsupported language {lang!r}; use one of: {', '.join(LANGUAGES)}")


def explain(code: str, lang: str | None = None) -> str:
    """Return the plain explanation of an error code in the given language."""
    texts = CODE_EXPLANATIONS.get(code)
    if texts is None:
        return code
    return texts[normalize_language(lang)]
