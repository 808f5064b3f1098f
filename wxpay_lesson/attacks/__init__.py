"""Forged-callback attacks for instructors, aimed only at a merchant server on loopback.

`catalog()` lists the attacks; `launch(name, target_url)` sends one over HTTP and
returns an `Outcome`; `run_matrix` runs every attack against every defence setting.
"""

from __future__ import annotations

from .catalog import ATTACKS, Attack, Capability, Verdict, catalog, get_attack
from .launch import Outcome, launch
from .matrix import (
    ALL_ON,
    Matrix,
    column_label,
    defence_columns,
    expected_verdicts,
    merchant_server_factory,
    run_matrix,
)
from .session import AttackSetupError, OrderState
from .target import TargetNotLoopbackError, capture_server_log, check_loopback_target, is_loopback_host

__all__ = [
    "ALL_ON",
    "ATTACKS",
    "Attack",
    "AttackSetupError",
    "Capability",
    "Matrix",
    "OrderState",
    "Outcome",
    "TargetNotLoopbackError",
    "Verdict",
    "capture_server_log",
    "catalog",
    "check_loopback_target",
    "column_label",
    "defence_columns",
    "expected_verdicts",
    "get_attack",
    "is_loopback_host",
    "launch",
    "merchant_server_factory",
    "run_matrix",
]
