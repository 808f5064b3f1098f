"""Exercise checks for the notebooks' *On your own* sections.

Each `check_*` function takes the learner's function, runs it against hidden cases and
returns a `CheckReport`.
"""

from __future__ import annotations

from ._checking import CaseResult, CheckReport

__all__ = ["CaseResult", "CheckReport"]
