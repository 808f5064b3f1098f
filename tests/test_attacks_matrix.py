"""Every catalogue attack against real merchant servers on loopback, under every defence setting.

The matrix runs once per module: one fresh merchant server with a fresh SQLite file per
defence column, its verifier clock fixed at the lesson time. Each test then reads the
cells it needs.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from wxpay_lesson.attacks import (
    ALL_ON,
    ATTACKS,
    Capability,
    Matrix,
    Verdict,
    catalog,
    defence_columns,
    launch,
    merchant_server_factory,
    run_matrix,
)
from wxpay_lesson.merchant.defences import Defences
from wxpay_lesson.merchant.server import MerchantServer

NOW = 1704074400  # 2024-01-01T10:00:00+08:00

# NOTE: timestamp_window cannot be shown necessary by an order change with the merchant
# as built, and the test states it instead of inventing an attack. A stale replay of a
# genuine notification reaches exactly-once processing, which replies DUPLICATE (204),
# because the order's own state (NOTPAY -> SUCCESS once, transaction_id unique) guards
# every payment and the ledger keeps ids forever. The window would matter once the
# ledger had a bounded retention, or for effects not guarded by the order state. The
# test checks the strongest honest claim: the attack goes from REJECTED to HARMLESS,
# so the window is what produced the 4xx.
NOT_SHOWN_BY_ORDER_CHANGE = {"timestamp_window": "stale-replay"}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    folder = tmp_path_factory.mktemp("attack-matrix")
    return run_matrix(merchant_server_factory(folder, now=NOW), now=NOW)


def test_catalogue_has_at_least_24_attacks() -> None:
    assert len(catalog()) >= 24


def test_catalogue_names_are_unique() -> None:
    names = [attack.name for attack in ATTACKS]
    assert len(names) == len(set(names))


def test_catalogue_covers_every_capability() -> None:
    used = {capability for attack in ATTACKS for capability in attack.has}
    assert used == set(Capability)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.name)
def test_catalogue_entry_is_complete(attack) -> None:
    assert attack.title and attack.title_zh
    assert attack.has
    assert attack.construction and attack.stopped_by
    assert attack.expected is not Verdict.SUCCEEDED
    assert (attack.expected_code is None) == (attack.expected is not Verdict.REJECTED)
    switches = {field.name for field in fields(Defences)}
    assert set(attack.succeeds_without) <= switches


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda attack: attack.name)
def test_attack_verdict_with_all_defences_on(matrix: Matrix, attack) -> None:
    outcome = matrix.cells[(attack.name, ALL_ON)]
    assert outcome.verdict is attack.expected
    assert outcome.rejection_code == attack.expected_code
    assert outcome.changed_orders == ()
    assert outcome.effects == ()


# The 413 for an oversized body comes from the HTTP layer, before the handler logs anything.
LOGGED_REJECTIONS = [attack for attack in ATTACKS
                     if attack.expected is Verdict.REJECTED and attack.expected_code != "BODY_TOO_LARGE"]


@pytest.mark.parametrize("attack", LOGGED_REJECTIONS, ids=lambda attack: attack.name)
def test_rejection_code_comes_from_server_log(matrix: Matrix, attack) -> None:
    outcome = matrix.cells[(attack.name, ALL_ON)]
    assert outcome.code_source == "log"
    assert f"code={attack.expected_code}" in outcome.server_log_line


def test_all_on_changes_no_order(matrix: Matrix) -> None:
    assert matrix.succeeded_in(ALL_ON) == []


def test_matrix_matches_catalogue(matrix: Matrix) -> None:
    assert matrix.mismatches() == []


@pytest.mark.parametrize("switch", [name for name, _ in defence_columns() if name != ALL_ON])
def test_every_switch_is_necessary(matrix: Matrix, switch: str) -> None:
    if switch in NOT_SHOWN_BY_ORDER_CHANGE:
        attack = NOT_SHOWN_BY_ORDER_CHANGE[switch]
        assert matrix.verdict(attack, ALL_ON) is Verdict.REJECTED
        assert matrix.verdict(attack, switch) is Verdict.HARMLESS
        return
    succeeded = matrix.succeeded_in(switch)
    assert succeeded, f"no attack succeeds with only {switch} switched"
    changed = [name for name in succeeded if matrix.cells[(name, switch)].changed_orders]
    assert changed, f"the attacks that succeed with only {switch} switched change no order"


def test_exactly_once_off_adds_a_side_effect(matrix: Matrix) -> None:
    outcome = matrix.cells[("replay-in-window", "exactly_once")]
    (number,) = outcome.changed_orders
    before, after = outcome.before[number], outcome.after[number]
    assert before is not None and after is not None
    assert before.status == "SUCCESS"
    assert after.side_effects == before.side_effects + 1


def test_signature_off_marks_forgery_paid(matrix: Matrix) -> None:
    outcome = matrix.cells[("leaked-key-bad-signature", "signature")]
    (number,) = outcome.changed_orders
    assert outcome.before[number].status == "NOTPAY"
    assert outcome.after[number].status == "SUCCESS"
    assert outcome.http_status == 204


def test_trusting_client_marks_order_paid(matrix: Matrix) -> None:
    outcome = matrix.cells[("client-report-i-paid", "trust_client_report")]
    (number,) = outcome.changed_orders
    assert outcome.after[number].status == "SUCCESS"


def test_insecure_server_logs_warning_per_request(matrix: Matrix) -> None:
    outcome = matrix.cells[("leaked-key-bad-signature", "signature")]
    assert any("INSECURE DEMO MODE" in line for line in outcome.server_log)


def test_stale_replay_against_real_clock(tmp_path: Path) -> None:
    with MerchantServer(tmp_path / "merchant.sqlite3") as server:
        outcome = launch("stale-replay", server.url + "/notify")
    assert outcome.verdict is Verdict.REJECTED
    assert outcome.rejection_code == "TIMESTAMP_OUT_OF_WINDOW"
    assert outcome.insecure_switches == ()


def test_duplicate_storm_replies_204(matrix: Matrix) -> None:
    outcome = matrix.cells[("duplicate-storm", ALL_ON)]
    assert len(outcome.statuses) > 1
    assert set(outcome.statuses) == {204}


def test_probe_pass_marks_forgery_paid(matrix: Matrix) -> None:
    outcome = matrix.cells[("signature-probe", "probe_handling")]
    (number,) = outcome.changed_orders
    assert outcome.before[number].status == "NOTPAY"
    assert outcome.after[number].status == "SUCCESS"
