"""The doctor's result: one outcome per verification step and a ranked list of causes."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..i18n import explain, normalize_language
from . import texts

# The verifier's steps, in the order `CallbackVerifier.verify` runs them.
STEP_NAMES = (
    "headers",
    "signature_type",
    "timestamp",
    "serial",
    "signature",
    "envelope",
    "algorithm",
    "decryption",
    "plaintext",
)

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"

# Evidence levels of a cause, strongest first.
VERIFIED = "verified"  # a repair of the capture makes the failing check pass
OBSERVED = "observed"  # the capture shows it directly (an empty body, a probe prefix)
LIKELY = "likely"  # signs in the data point to it, but no repair proved it
EVIDENCE_LEVELS = (VERIFIED, OBSERVED, LIKELY)

# Params whose values are lists of repair or sign names, translated item by item.
_LIST_PARAMS = ("repair", "signs", "kinds")
# Params whose values are keys of texts.WORDS.
_WORD_PARAMS = ("direction", "signed")


@dataclass(frozen=True)
class StepResult:
    """The outcome of one verification step.

    `code` is the `CallbackError` code of a failed step (or `INVALID_API_V3_KEY`), the
    reason code of a skipped step, or the code of a note on a passed step. `message` is English; it never contains a key, a
    plaintext or the body.
    """

    name: str
    status: str
    code: str | None = None
    message: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        """Return the step's detail in the language: the error, the reason for skipping, or a note."""
        if self.status == SKIPPED and self.code in texts.SKIP_REASONS:
            return texts.pick(texts.SKIP_REASONS, self.code, lang).format(**self.params)
        if self.status == PASSED and self.code in texts.STEP_NOTES:
            params = dict(self.params)
            if "direction" in params:
                params["direction"] = texts.pick(texts.WORDS, params["direction"], lang)
            return texts.pick(texts.STEP_NOTES, self.code, lang).format(**params)
        if self.status == FAILED and normalize_language(lang) == "zh-CN" and self.code is not None:
            return explain(self.code, "zh-CN")
        return self.message


@dataclass(frozen=True)
class Cause:
    """One likely cause of a failure, with its stable code and the evidence behind it.

    Attributes:
        code: stable cause code such as `BODY_RESERIALIZED`.
        step: the step whose failure the cause explains (`none` for CAPTURE_VERIFIES).
        evidence_level: `verified`, `observed` or `likely`.
        subcause: a more specific stable code, or None.
        evidence: the code of the evidence sentence in `texts.EVIDENCE`, or None.
        params: values for the evidence sentence: lengths, seconds, header names,
            serials and repair names, never secrets.
    """

    code: str
    step: str
    evidence_level: str
    subcause: str | None = None
    evidence: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        """Whether the data proves the cause (verified or observed), not only suggests it."""
        return self.evidence_level in (VERIFIED, OBSERVED)

    def explanation(self, lang: str | None = None) -> str:
        """Return the plain explanation with the fix, then the sub-cause, then the evidence."""
        parts = [texts.pick(texts.CAUSES, self.code, lang)]
        if self.subcause is not None:
            parts.append(texts.pick(texts.SUBCAUSES, self.subcause, lang))
        if self.evidence is not None:
            template = texts.pick(texts.EVIDENCE, self.evidence, lang)
            parts.append(template.format(**self._formatted_params(lang)))
        return ("" if normalize_language(lang) == "zh-CN" else " ").join(parts)

    def _formatted_params(self, lang: str | None) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(self.params)
        separator = "；" if normalize_language(lang) == "zh-CN" else "; "
        for name in _LIST_PARAMS:
            if name in formatted:
                formatted[name] = separator.join(texts.repair_name(item, lang) for item in formatted[name])
        for name in _WORD_PARAMS:
            if name in formatted:
                formatted[name] = texts.pick(texts.WORDS, formatted[name], lang)
        return formatted

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """Return the cause as JSON-ready data."""
        return {
            "code": self.code,
            "subcause": self.subcause,
            "step": self.step,
            "evidence": self.evidence_level,
            "confirmed": self.confirmed,
            "explanation": self.explanation(lang),
        }


@dataclass(frozen=True)
class Diagnosis:
    """The doctor's findings on one captured callback.

    `plaintext` contains the decrypted resource when decryption succeeded. It is left out of
    `repr()`, `to_dict()` and `render()` unless `show_plaintext=True` is passed.
    """

    steps: tuple[StepResult, ...]
    causes: tuple[Cause, ...]
    skew_seconds: float | None = None
    plaintext: bytes | None = field(default=None, repr=False)

    @property
    def failed_step(self) -> str | None:
        """The first failed step in verification order: the one `CallbackVerifier.verify` raises at."""
        for step in self.steps:
            if step.status == FAILED:
                return step.name
        return None

    @property
    def ok(self) -> bool:
        """Whether no step failed. Steps skipped for lack of an APIv3 key do not count as failures."""
        return self.failed_step is None

    @property
    def complete(self) -> bool:
        """Whether every step ran."""
        return all(step.status != SKIPPED for step in self.steps)

    @property
    def top_cause(self) -> Cause | None:
        """The most likely cause, or None."""
        return self.causes[0] if self.causes else None

    def step(self, name: str) -> StepResult:
        """Return the result of the step with this name.

        Raises:
            KeyError: no step has this name; the names are in `STEP_NAMES`.
        """
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"no step named {name!r}; steps are {', '.join(STEP_NAMES)}")

    @property
    def cause_codes(self) -> list[str]:
        """The cause codes, most likely first."""
        return [cause.code for cause in self.causes]

    def to_dict(self, lang: str | None = None, *, show_plaintext: bool = False) -> dict[str, Any]:
        """Return the diagnosis as JSON-ready data: ok, failed_step, causes and steps."""
        result: dict[str, Any] = {
            "ok": self.ok,
            "failed_step": self.failed_step,
            "complete": self.complete,
            "skew_seconds": self.skew_seconds,
            "causes": [cause.to_dict(lang) for cause in self.causes],
            "steps": [
                {"name": step.name, "status": step.status, "code": step.code, "detail": step.text(lang)}
                for step in self.steps
            ],
        }
        if show_plaintext and self.plaintext is not None:
            result["plaintext"] = self.plaintext.decode("utf-8", "replace")
        return result

    def to_json(self, lang: str | None = None, *, show_plaintext: bool = False) -> str:
        """Return `to_dict()` as indented JSON text with UTF-8 characters kept."""
        return json.dumps(self.to_dict(lang, show_plaintext=show_plaintext), ensure_ascii=False, indent=2)

    def render(self, lang: str | None = None, *, show_plaintext: bool = False) -> str:
        """Return the diagnosis as text for a terminal or a notebook."""
        lines = [self._headline(lang), "", texts.pick(texts.REPORT_WORDS, "steps", lang)]
        width = max(len(name) for name in STEP_NAMES)
        for step in self.steps:
            status = texts.pick(texts.STATUS_WORDS, step.status, lang)
            detail = step.text(lang)
            line = f"  {_pad(status, 8)} {step.name:<{width}}"
            lines.append(f"{line}  {detail}".rstrip() if detail else line.rstrip())
        if self.causes:
            lines += ["", texts.pick(texts.REPORT_WORDS, "causes", lang)]
            for number, cause in enumerate(self.causes, start=1):
                level = texts.pick(texts.REPORT_WORDS, cause.evidence_level, lang)
                name = cause.code if cause.subcause is None else f"{cause.code}/{cause.subcause}"
                lines.append(f"  {number}. {name} ({level})")
                lines.append(f"     {cause.explanation(lang)}")
        if show_plaintext and self.plaintext is not None:
            lines += ["", texts.pick(texts.REPORT_WORDS, "plaintext", lang), self.plaintext.decode("utf-8", "replace")]
        return "\n".join(lines)

    def _headline(self, lang: str | None) -> str:
        if self.failed_step is not None:
            return texts.pick(texts.REPORT_WORDS, "fails", lang).format(step=self.failed_step)
        if not self.complete:
            return texts.pick(texts.REPORT_WORDS, "incomplete", lang)
        return texts.pick(texts.REPORT_WORDS, "verifies", lang)

    def __str__(self) -> str:
        return self.render("en")


def _pad(text: str, width: int) -> str:
    """Pad text with spaces to `width` terminal columns; CJK characters take two columns."""
    columns = sum(2 if unicodedata.east_asian_width(character) in ("W", "F") else 1 for character in text)
    return text + " " * max(0, width - columns)
