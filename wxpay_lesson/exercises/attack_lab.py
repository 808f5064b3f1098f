"""Checks for the exercises of notebook 06, the forged-callback lab.

The hidden cases come from the package itself: `check_loopback_target` decides which
targets are loopback, `judge` decides verdicts, and the catalogue's `succeeds_without`
(which tests/test_attacks_matrix.py checks against real servers) decides which switch
lets an attack through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..attacks import TargetNotLoopbackError, check_loopback_target, get_attack
from ..attacks.launch import judge
from ..attacks.session import OrderState
from ..attacks.target import Reply
from ._checking import CheckReport

LOOPBACK_CASES = (
    "http://127.0.0.1:8000/notify",
    "http://127.9.9.9:8000/notify",
    "http://[::1]:8000/notify",
    "http://localhost:8000/notify",
    "http://10.0.0.8:8000/notify",
    "http://169.254.169.254/notify",
    "http://0.0.0.0:8000/notify",
    "http://localhost.example.com:8000/notify",
    "http://2130706433:8000/notify",
    "https://127.0.0.1:8000/notify",
    "http://[::ffff:127.0.0.1]:8000/notify",
)

PREDICTION_ATTACKS = (
    "client-report-i-paid",
    "attacker-key-real-serial",
    "attacker-certificate-own-serial",
    "replay-in-window",
    "other-merchant-account",
    "signature-type-downgrade",
    "stale-replay",
)


def _expected_loopback(url: str) -> bool:
    try:
        check_loopback_target(url)
    except TargetNotLoopbackError:
        return False
    return True


def check_is_loopback_target(is_loopback_target: Callable[[str], Any]) -> CheckReport:
    """Check `is_loopback_target(url) -> bool`: True only for http:// on 127.0.0.0/8, ::1 or localhost."""
    report = CheckReport("is_loopback_target")

    def case(url: str) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            expected = _expected_loopback(url)
            result = is_loopback_target(url)
            if not isinstance(result, bool):
                return False, f"returned {type(result).__name__}; expected True or False"
            if result != expected:
                reason = ""
                if "::ffff:" in url:
                    reason = (" (an IPv4-mapped IPv6 address is not on the list of 127.0.0.0/8, ::1 and localhost, "
                              "and ipaddress calls it loopback only from Python 3.13 on, so test for it yourself)")
                return False, f"returned {result}; expected {expected}{reason}"
            return True, ""
        return action

    for url in LOOPBACK_CASES:
        report.run_case(url, case(url))
    return report


def _state(number: str, status: str, side_effects: int, amount: int = 1800) -> OrderState:
    return OrderState(out_trade_no=number, status=status, amount_total=amount, side_effects=side_effects,
                      refunded_total=0)


# (case name, statuses, before, after) as plain tuples: (status, amount_total, side_effects) or None.
VERDICT_CASES: tuple[tuple[str, tuple[int, ...], dict[str, Any], dict[str, Any]], ...] = (
    ("a 401 and the order unchanged", (401,), {"A": ("NOTPAY", 1800, 0)}, {"A": ("NOTPAY", 1800, 0)}),
    ("a 204 duplicate and the order unchanged", (204,), {"A": ("SUCCESS", 1800, 1)}, {"A": ("SUCCESS", 1800, 1)}),
    ("a 204 and a second side effect", (204,), {"A": ("SUCCESS", 1800, 1)}, {"A": ("SUCCESS", 1800, 2)}),
    ("a 204 and the order paid", (204,), {"B": ("NOTPAY", 29900, 0)}, {"B": ("SUCCESS", 29900, 1)}),
    ("a 500 although the order changed", (500,), {"B": ("NOTPAY", 29900, 0)}, {"B": ("SUCCESS", 29900, 1)}),
    ("mixed 204 and 401, nothing changed", (401, 204, 401), {"A": ("SUCCESS", 1800, 1)},
     {"A": ("SUCCESS", 1800, 1)}),
    ("several 413s, nothing changed", (413, 413), {"B": ("NOTPAY", 29900, 0)}, {"B": ("NOTPAY", 29900, 0)}),
)


def _states(plain: dict[str, Any]) -> dict[str, OrderState | None]:
    return {number: None if value is None else _state(number, value[0], value[2], value[1])
            for number, value in plain.items()}


def check_verdict(verdict: Callable[..., Any]) -> CheckReport:
    """Check `verdict(statuses, before, after) -> "rejected" | "harmless" | "succeeded"`.

    `statuses` are the HTTP statuses of the attack requests; `before` and `after` map
    out_trade_no to `(status, amount_total, side_effects)`.
    """
    report = CheckReport("verdict")

    def case(statuses: tuple[int, ...], before: dict[str, Any], after: dict[str, Any]) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            expected, _ = judge([Reply(status, b"") for status in statuses], _states(before), _states(after), [])
            result = verdict(list(statuses), dict(before), dict(after))
            if result != expected.value:
                return False, f"returned {result!r}; expected {expected.value!r}"
            return True, ""
        return action

    for name, statuses, before, after in VERDICT_CASES:
        report.run_case(name, case(statuses, before, after))
    return report


def check_predictions(succeeds_without: Callable[[str], Any]) -> CheckReport:
    """Check `succeeds_without(attack_name) -> set of switch names` for a few catalogue attacks.

    The expected result is the set of `Defences` switches that, each changed alone to its
    insecure value, let the attack change an order; an empty set when none does.
    """
    report = CheckReport("succeeds_without")

    def case(name: str) -> Callable[[], tuple[bool, str]]:
        def action() -> tuple[bool, str]:
            expected = set(get_attack(name).succeeds_without)
            result = succeeds_without(name)
            if not isinstance(result, (set, frozenset)):
                return False, f"returned {type(result).__name__}; expected a set of switch names"
            if set(result) != expected:
                missing = sorted(expected - set(result))
                extra = sorted(set(result) - expected)
                return False, f"missing {missing}, not expected {extra}"
            return True, ""
        return action

    for name in PREDICTION_ATTACKS:
        report.run_case(name, case(name))
    return report


__all__ = ["check_is_loopback_target", "check_predictions", "check_verdict"]
