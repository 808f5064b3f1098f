"""The attack × defence matrix: every attack against every defence setting, checked.

Each column is a fresh merchant server with a fresh SQLite file: one column with every
defence on, then one column per switch with only that switch set to its insecure
value. A cell is the verdict of one launch. The expected verdict of a cell follows from
the catalogue: the attack's `expected` in the all-on column, SUCCEEDED in the columns
named by `succeeds_without`, and anything but SUCCEEDED elsewhere.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from ..merchant.defences import Defences
from .catalog import ATTACKS, Verdict, get_attack
from .launch import Outcome, launch
from .target import capture_server_log

ALL_ON = "all_on"


class LabServer(Protocol):
    """The interface the matrix needs of a merchant server: its URL and a way to stop it."""

    @property
    def url(self) -> str: ...

    def stop(self) -> None: ...


def defence_columns() -> list[tuple[str, Defences]]:
    """Return `[("all_on", Defences()), (switch, Defences with only that switch insecure), ...]`."""
    secure = Defences()
    columns = [(ALL_ON, secure)]
    for switch in fields(Defences):
        columns.append((switch.name, Defences(**{switch.name: not getattr(secure, switch.name)})))
    return columns


# Short matrix headers: "-" marks a defence switched off, "+" the client report trusted.
SHORT_HEADERS = {
    ALL_ON: "all on",
    "signature": "-signature",
    "timestamp_window": "-window",
    "serial_allow_list": "-serials",
    "probe_handling": "-probe",
    "business_checks": "-business",
    "exactly_once": "-once",
    "trust_client_report": "+trust",
}


def column_label(column: str) -> str:
    """Return the matrix header for a column: `all on`, `signature off`, `trust_client_report on`."""
    if column == ALL_ON:
        return "all on"
    insecure_value = not getattr(Defences(), column)
    return f"{column} {'on' if insecure_value else 'off'}"


def expected_verdicts(attack_name: str, column: str) -> tuple[Verdict, ...]:
    """Return the verdicts the catalogue allows for one cell."""
    attack = get_attack(attack_name)
    if column == ALL_ON:
        return (attack.expected,)
    if column in attack.succeeds_without:
        return (Verdict.SUCCEEDED,)
    return (Verdict.REJECTED, Verdict.HARMLESS)


def merchant_server_factory(folder: str | Path, *, now: float | None = None) -> Callable[[Defences], LabServer]:
    """Return a function that starts an in-process `MerchantServer` with a fresh SQLite file.

    Args:
        folder: where the database files go, one per server started.
        now: a fixed Unix time for the server's verifier; None uses the real clock.
    """
    from ..merchant.server import MerchantServer

    counter = itertools.count(1)
    base = Path(folder)

    def start(defences: Defences) -> LabServer:
        options: dict[str, Any] = {"defences": defences}
        if now is not None:
            options["clock"] = lambda: now
        server = MerchantServer(base / f"merchant-{next(counter):03d}.sqlite3", **options)
        return server.start()

    return start


@dataclass
class Matrix:
    """The outcome of every launched cell, keyed by (attack name, column)."""

    attacks: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Outcome] = field(default_factory=dict)

    def verdict(self, attack: str, column: str) -> Verdict:
        """Return one cell's verdict."""
        return self.cells[(attack, column)].verdict

    def mismatches(self) -> list[str]:
        """Return one line per cell whose verdict the catalogue does not allow."""
        lines = []
        for (attack, column), outcome in self.cells.items():
            allowed = expected_verdicts(attack, column)
            if outcome.verdict not in allowed:
                expected = " or ".join(verdict.value for verdict in allowed)
                lines.append(f"{attack} with {column_label(column)}: {outcome.verdict.value}, expected {expected}")
        return lines

    def succeeded_in(self, column: str) -> list[str]:
        """Return the attacks that succeeded in one column."""
        return [attack for attack in self.attacks if self.verdict(attack, column) is Verdict.SUCCEEDED]

    def format_table(self) -> str:
        """Return the matrix as a text table; a cell the catalogue does not allow ends in `!`."""
        width = max(len(name) for name in self.attacks)
        headers = [SHORT_HEADERS.get(column, column) for column in self.columns]
        cell_width = max(max(len(header) for header in headers), len("SUCCEEDED!"))
        lines = [" " * width + " | " + " | ".join(header.ljust(cell_width) for header in headers)]
        lines.append("-" * len(lines[0]))
        for attack in self.attacks:
            row = []
            for column in self.columns:
                verdict = self.verdict(attack, column)
                text = verdict.value.upper() if verdict is Verdict.SUCCEEDED else verdict.value
                if verdict not in expected_verdicts(attack, column):
                    text += "!"
                row.append(text.ljust(cell_width))
            lines.append(attack.ljust(width) + " | " + " | ".join(row))
        return "\n".join(line.rstrip() for line in lines)


def run_matrix(start_server: Callable[[Defences], LabServer], *, attacks: Iterable[str] | None = None,
               columns: Iterable[str] | None = None, now: float | None = None,
               progress: Callable[[str, str, Outcome], None] | None = None, parallel: bool = False) -> Matrix:
    """Launch every attack against a fresh server per defence column.

    Args:
        start_server: starts a merchant server with the given defences and returns it
            running (see `merchant_server_factory`); the matrix stops it afterwards.
        attacks: attack names; default the whole catalogue.
        columns: column names from `defence_columns()`; default all of them.
        now: passed to `launch` for servers with a fixed clock.
        progress: called after each cell, e.g. to update a widget; from worker threads
            when `parallel` is set.
        parallel: run the columns at once, one thread and one server per column. The
            attacks of a column still run one after another. Outcomes then carry no
            server log lines, and rejection codes come from the reply bodies.
    """
    chosen_attacks = list(attacks) if attacks is not None else [attack.name for attack in ATTACKS]
    all_columns = dict(defence_columns())
    chosen_columns = list(columns) if columns is not None else list(all_columns)
    for column in chosen_columns:
        if column not in all_columns:
            raise KeyError(f"no defence column {column!r}; use one of: {', '.join(all_columns)}")

    matrix = Matrix(chosen_attacks, chosen_columns)

    def run_column(column: str) -> None:
        server = start_server(all_columns[column])
        try:
            for attack in chosen_attacks:
                outcome = launch(attack, server.url, now=now, read_health=False, capture_log=not parallel)
                matrix.cells[(attack, column)] = outcome
                if progress is not None:
                    progress(attack, column, outcome)
        finally:
            server.stop()

    # The capture keeps the servers' INSECURE DEMO MODE warnings off stderr; each
    # outcome still carries its own log lines.
    with capture_server_log():
        if parallel:
            with ThreadPoolExecutor(max_workers=len(chosen_columns) or 1) as pool:
                list(pool.map(run_column, chosen_columns))
        else:
            for column in chosen_columns:
                run_column(column)
    return matrix


__all__ = [
    "ALL_ON",
    "LabServer",
    "Matrix",
    "column_label",
    "defence_columns",
    "expected_verdicts",
    "merchant_server_factory",
    "run_matrix",
]
