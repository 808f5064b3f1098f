"""Launch one catalogue attack at a merchant server on loopback and judge what it achieved."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from ..merchant import faults  # noqa: F401  (registers ProcessingError among the CallbackError subclasses)
from .catalog import Verdict, get_attack
from .session import AttackSession, OrderState
from .target import Reply, TargetClient, capture_server_log, check_loopback_target

# The merchant replies 413 with the generic FAIL body; the lab names that rejection itself.
BODY_TOO_LARGE = "BODY_TOO_LARGE"
_LOGGED_CODE = re.compile(r"callback rejected: code=([A-Z_]+)")


def _reply_messages() -> dict[str, str]:
    """Map each CallbackError's reply message to its code; the first class wins on a tie."""
    found: dict[str, str] = {}
    pending = [errors.CallbackError]
    while pending:
        current = pending.pop(0)
        found.setdefault(current.reply_message, current.code)
        pending.extend(current.__subclasses__())
    return found


@dataclass(frozen=True)
class Outcome:
    """The result of one launched attack.

    Attributes:
        attack: the attack's name.
        verdict: REJECTED, HARMLESS or SUCCEEDED (see `Verdict`).
        http_status: the status of the first attack request.
        statuses: the status of every attack request, in order.
        before: each watched order's state before the attack, None when it did not exist.
        after: the same orders after the attack.
        rejection_code: the merchant's code for the first rejected request, or None.
        code_source: `log` when the code came from the server's own log line (a server
            in this process), `reply` when it was read from the reply body, which for
            the probe carries the generic INVALID_SIGNATURE message.
        server_log: the server's log lines during the attack; empty for a server in
            another process.
        effects: effects that no order state shows, such as a client-chosen price.
        insecure_switches: the defences the target reported off on GET /health.
    """

    attack: str
    verdict: Verdict
    http_status: int | None
    statuses: tuple[int, ...]
    before: dict[str, OrderState | None]
    after: dict[str, OrderState | None]
    rejection_code: str | None
    code_source: str | None
    server_log: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    insecure_switches: tuple[str, ...] | None = None
    changed_orders: tuple[str, ...] = field(default=())

    @property
    def server_log_line(self) -> str:
        """The log line that explains the result: the rejection, or else the last line."""
        for line in self.server_log:
            if "rejected" in line and "code=" in line and "merchant.handler" in line:
                return line
        for line in self.server_log:
            if "rejected" in line:
                return line
        return self.server_log[-1] if self.server_log else ""

    def status_text(self) -> str:
        """Return the statuses compactly, e.g. `204` or `204 x12`."""
        counts = Counter(self.statuses)
        if not counts:
            return "-"
        return ", ".join(str(status) if count == 1 else f"{status} x{count}" for status, count in sorted(counts.items()))

    def to_json(self) -> dict[str, Any]:
        """Return the outcome as JSON-ready data, orders as dicts."""
        def orders(states: dict[str, OrderState | None]) -> dict[str, Any]:
            return {number: (None if state is None else vars(state)) for number, state in states.items()}

        return {
            "attack": self.attack,
            "verdict": self.verdict.value,
            "http_status": self.http_status,
            "statuses": list(self.statuses),
            "rejection_code": self.rejection_code,
            "code_source": self.code_source,
            "before": orders(self.before),
            "after": orders(self.after),
            "changed_orders": list(self.changed_orders),
            "effects": list(self.effects),
            "server_log_line": self.server_log_line,
            "insecure_switches": None if self.insecure_switches is None else list(self.insecure_switches),
        }


def judge(replies: list[Reply], before: dict[str, OrderState | None], after: dict[str, OrderState | None],
          effects: list[str]) -> tuple[Verdict, tuple[str, ...]]:
    """Return the verdict and the out_trade_no of every order that changed."""
    changed = tuple(number for number, state in before.items()
                    if (state is None and after.get(number) is not None)
                    or (state is not None and state.changes(after.get(number))))
    if changed or effects:
        return Verdict.SUCCEEDED, changed
    if any(200 <= reply.status < 300 for reply in replies):
        return Verdict.HARMLESS, changed
    return Verdict.REJECTED, changed


def rejection_code(replies: list[Reply], log_lines: list[str]) -> tuple[str | None, str | None]:
    """Return (code, source) for the first rejected request; (None, None) when none was rejected."""
    rejected = next((reply for reply in replies if reply.status >= 400), None)
    if rejected is None:
        return None, None
    for line in log_lines:
        match = _LOGGED_CODE.search(line)
        if match and "merchant.handler" in line:
            return match.group(1), "log"
    if rejected.status == 413:
        return BODY_TOO_LARGE, "reply"
    data = rejected.json()
    if isinstance(data, dict):
        code = data.get("code")
        if isinstance(code, str) and code != "FAIL":
            return code, "reply"
        message = data.get("message")
        if isinstance(message, str) and message in _reply_messages():
            return _reply_messages()[message], "reply"
    return f"HTTP_{rejected.status}", "reply"


def read_insecure_switches(client: TargetClient) -> tuple[str, ...] | None:
    """Return the switches the target reports off on GET /health, or None if its reply has no such list."""
    reply = client.request("GET", "/health")
    data = reply.json()
    if reply.status != 200 or not isinstance(data, dict) or not isinstance(data.get("insecure_switches"), list):
        return None
    return tuple(str(name) for name in data["insecure_switches"])


def launch(name: str, target_url: str, *, now: float | None = None, timeout: float = 10.0,
           read_health: bool = True, capture_log: bool = True) -> Outcome:
    """Send one catalogue attack to a merchant server on loopback and report what it achieved.

    The attack first creates the orders it needs over HTTP (and, as the simulated
    platform, genuinely pays the attacker's own order where the attack needs a captured
    notification), reads the watched orders, sends the attack and reads them again.

    Args:
        name: the attack's name (see `catalog()`).
        target_url: the merchant's notify_url or base URL, on 127.0.0.0/8, ::1 or localhost.
        now: the Unix time that the target's verifier believes it is; default this
            machine's clock. Notebooks pass their fixed lesson time.
        timeout: seconds to wait for each reply.
        read_health: read the target's insecure switches from GET /health first.
        capture_log: collect the log lines of a merchant server running in this
            process. The capture collects records from every thread of the process, so
            turn it off while other attacks run at the same time.

    Raises:
        TargetNotLoopbackError: the target is not on loopback; nothing is sent.
        KeyError: no attack has this name.
        AttackSetupError: the target did not accept the attack's genuine setup traffic.
        OSError: the target could not be reached.
    """
    target = check_loopback_target(target_url)
    attack = get_attack(name)
    client = TargetClient(target, timeout=timeout)
    insecure = read_insecure_switches(client) if read_health else None
    moment = int(time.time() if now is None else now)

    if capture_log:
        with capture_server_log() as capture:
            session = AttackSession(client, moment, on_attack_start=capture.take)
            attack.run(session)
            log_lines = capture.take()
            after = session.after()
    else:
        session = AttackSession(client, moment)
        attack.run(session)
        log_lines = []
        after = session.after()

    verdict, changed = judge(session.replies, session.before, after, session.effects)
    code, source = rejection_code(session.replies, log_lines)
    return Outcome(
        attack=attack.name,
        verdict=verdict,
        http_status=session.replies[0].status if session.replies else None,
        statuses=tuple(reply.status for reply in session.replies),
        before=dict(session.before),
        after=after,
        rejection_code=code,
        code_source=source,
        server_log=tuple(log_lines),
        effects=tuple(session.effects),
        insecure_switches=insecure,
        changed_orders=changed,
    )


__all__ = ["BODY_TOO_LARGE", "Outcome", "judge", "launch", "read_insecure_switches", "rejection_code"]
