"""The callback doctor: explain why a captured WeChat Pay callback fails verification.

`diagnose(headers, body, public_keys=..., api_v3_key=...)` runs each verification step
of `CallbackVerifier` on its own, reports each as passed, failed or skipped, and ranks
the likely causes under stable codes such as `BODY_RESERIALIZED`. Each cause is checked
against the data where the data allows: a repair that makes the signature verify proves
the cause. The command `python -m wxpay_lesson doctor CAPTURE` runs it on a capture file.
"""

from __future__ import annotations

from .capture import Capture, CaptureFormatError, HeaderList, load_capture, parse_capture
from .causes import compare_messages
from .diagnose import diagnose
from .model import EVIDENCE_LEVELS, STEP_NAMES, Cause, Diagnosis, StepResult
from .texts import CAUSES, SUBCAUSES

# Every cause code the doctor can report; codes are stable for tools and tests.
CAUSE_CODES = tuple(CAUSES)

__all__ = [
    "CAUSES",
    "CAUSE_CODES",
    "EVIDENCE_LEVELS",
    "STEP_NAMES",
    "SUBCAUSES",
    "Capture",
    "CaptureFormatError",
    "Cause",
    "Diagnosis",
    "HeaderList",
    "StepResult",
    "compare_messages",
    "diagnose",
    "load_capture",
    "parse_capture",
]
