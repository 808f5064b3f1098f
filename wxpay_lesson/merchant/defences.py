"""Switches for the merchant handler's defences, for classroom attack demos only.

Every defence is on by default and `trust_client_report` is off. Turning one off makes
the merchant deliberately vulnerable, so that an instructor can show the attack that
the defence stops. Production code must never change these defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Defences:
    """The set of checks that the merchant's callback handler runs.

    Attributes:
        signature: verify the RSA signature over the raw body.
        timestamp_window: reject Wechatpay-Timestamp outside the clock-skew window.
        serial_allow_list: accept only keys loaded under their Wechatpay-Serial.
        probe_handling: reject WECHATPAY/SIGNTEST/ probes instead of letting them pass
            as "test traffic" without a signature check.
        business_checks: compare amount, currency, mchid, appid and out_trade_no with
            the stored order.
        exactly_once: apply each payment once, however often it is delivered.
        trust_client_report: let the client's "I paid" message change the order.
            Off by default; turning it on is the insecure direction.
    """

    signature: bool = True
    timestamp_window: bool = True
    serial_allow_list: bool = True
    probe_handling: bool = True
    business_checks: bool = True
    exactly_once: bool = True
    trust_client_report: bool = False

    def insecure_switches(self) -> list[str]:
        """Return the names of the switches set to their insecure value."""
        secure = Defences()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(secure, f.name)]

    @property
    def all_on(self) -> bool:
        """Whether every defence is at its secure default."""
        return not self.insecure_switches()
