"""Solutions to the *On your own* exercises of notebook 00, start here.

tests/test_exercises_signature.py proves that each function passes its check.
"""

from __future__ import annotations


def key_holders(secret: str) -> set[str]:
    """Return the parties that may hold a secret: merchant, wechatpay, never the client."""
    shared = {"apiv3_key", "apiv2_key"}
    wechatpay_only = {"platform_private_key", "wechatpay_public_key_private_key"}
    if secret in shared:
        return {"merchant", "wechatpay"}
    if secret in wechatpay_only:
        return {"wechatpay"}
    if secret == "merchant_api_private_key":
        return {"merchant"}
    raise ValueError(f"unknown secret {secret!r}")


def may_change_order(source: str, verified: bool) -> bool:
    """Return whether a message may change an order: only verified WeChat Pay messages may."""
    return verified and source in ("callback", "order_query")
