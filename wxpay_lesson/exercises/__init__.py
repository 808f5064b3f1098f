"""Exercise checks for the notebooks' *On your own* sections.

Each `check_*` function takes the learner's function, runs it against hidden cases and
returns a `CheckReport`.
"""

from __future__ import annotations

from ._checking import CaseResult, CheckReport
from .attack_lab import check_is_loopback_target, check_predictions, check_verdict
from .client_trust import check_business_checks, check_reply, check_retry_offsets
from .decryption import check_decrypt, check_load_certificates, check_split_tag
from .doctor import check_repair_charset, check_serial_from_decimal, check_strip_added_bytes
from .signature import (
    check_build_message,
    check_decrypt_notification,
    check_key_holders,
    check_may_change_order,
    check_signature_headers,
    check_timestamp_window,
    check_verify_callback,
    outcome,
)

__all__ = [
    "CaseResult",
    "CheckReport",
    "check_is_loopback_target",
    "check_predictions",
    "check_verdict",
    "check_business_checks",
    "check_decrypt",
    "check_load_certificates",
    "check_reply",
    "check_retry_offsets",
    "check_split_tag",
    "check_repair_charset",
    "check_serial_from_decimal",
    "check_strip_added_bytes",
    "check_build_message",
    "check_decrypt_notification",
    "check_key_holders",
    "check_may_change_order",
    "check_signature_headers",
    "check_timestamp_window",
    "check_verify_callback",
    "outcome",
]
