"""The instructor console, driven headlessly with Button.click() against real merchant servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wxpay_lesson.attacks import ATTACKS, TargetNotLoopbackError, Verdict
from wxpay_lesson.merchant.defences import Defences
from wxpay_lesson.merchant.server import MerchantServer
from wxpay_lesson.widgets import AttackConsole, checkboxes_from_defences, defences_from_checkboxes

NOW = 1704074400  # 2024-01-01T10:00:00+08:00


@pytest.fixture(scope="module")
def console() -> Iterator[AttackConsole]:
    panel = AttackConsole(now=NOW, lang="en")
    yield panel
    panel.close()


def test_picker_lists_every_attack_with_capability(console: AttackConsole) -> None:
    labels = [text for text, _ in console.attack_picker.options]
    assert len(labels) == len(ATTACKS)
    assert "Duplicate storm — a captured genuine notification" in labels


def test_picking_attack_updates_description(console: AttackConsole) -> None:
    console.attack_picker.value = "other-merchant-account"
    assert "their own merchant account" in console.attack_info.value
    assert "BUSINESS_MISMATCH" in console.attack_info.value


def test_checkboxes_start_all_on(console: AttackConsole) -> None:
    assert all(box.value for box in console.defence_boxes.values())
    assert console.defences == Defences()


def test_checkbox_mapping_round_trips() -> None:
    for defences in (Defences(), Defences(signature=False), Defences(trust_client_report=True)):
        assert defences_from_checkboxes(checkboxes_from_defences(defences)) == defences


def test_launch_click_shows_rejection(console: AttackConsole) -> None:
    console.attack_picker.value = "attacker-key-real-serial"
    console.launch_button.click()
    assert console.error.value == ""
    assert console.last_outcome is not None
    assert console.last_outcome.verdict is Verdict.REJECTED
    assert "rejected" in console.result.value
    assert "401" in console.result.value
    assert "INVALID_SIGNATURE" in console.result.value
    assert "NOTPAY, 29900 fen, 0 side effects" in console.result.value
    assert "callback rejected: code=INVALID_SIGNATURE" in console.result.value


def test_unchecking_signature_lets_forgery_succeed(console: AttackConsole) -> None:
    console.attack_picker.value = "attacker-key-real-serial"
    console.defence_boxes["signature"].value = False
    try:
        console.launch_button.click()
        assert console.error.value == ""
        assert console.last_outcome is not None
        assert console.last_outcome.verdict is Verdict.SUCCEEDED
        assert "SUCCEEDED" in console.result.value
        assert "SUCCESS, 29900 fen, 1 side effects" in console.result.value
        assert console.last_outcome.insecure_switches == ("signature",)
        assert any("INSECURE DEMO MODE" in line for line in console.last_outcome.server_log)
    finally:
        console.defence_boxes["signature"].value = True


def test_relaunch_after_recheck_is_secure(console: AttackConsole) -> None:
    console.attack_picker.value = "attacker-key-real-serial"
    console.launch_button.click()
    assert console.last_outcome is not None
    assert console.last_outcome.insecure_switches == ()
    assert console.last_outcome.verdict is Verdict.REJECTED


def test_run_every_attack_fills_matrix(console: AttackConsole) -> None:
    console.run_all_button.click()
    assert console.error.value == ""
    matrix = console.last_matrix
    assert matrix is not None
    assert matrix.mismatches() == []
    assert "every cell matches the catalogue" in console.matrix_table.value
    assert console.matrix_table.value.count("<tr>") == len(ATTACKS) + 1
    assert "no exactly-once processing" in console.matrix_table.value


def test_console_text_plain_is_stable(console: AttackConsole) -> None:
    bundle = console._repr_mimebundle_()
    assert bundle is not None
    assert bundle["text/plain"] == f"AttackConsole: {len(ATTACKS)} attacks, 7 defence switches"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_chinese_labels() -> None:
    panel = AttackConsole(target_url="http://127.0.0.1:9/notify", lang="zh-CN")
    try:
        assert panel.launch_button.description == "发起攻击"
        assert panel.defence_boxes["signature"].description == "验签"
        assert all(box.disabled for box in panel.defence_boxes.values())
    finally:
        panel.close()


def test_running_server_drives_launch(tmp_path: Path) -> None:
    with MerchantServer(tmp_path / "merchant.sqlite3", defences=Defences(exactly_once=False)) as server:
        panel = AttackConsole(target_url=server.notify_url, lang="en")
        try:
            panel.attack_picker.value = "replay-in-window"
            panel.launch_button.click()
            assert panel.error.value == ""
            assert panel.last_outcome is not None
            assert panel.last_outcome.verdict is Verdict.SUCCEEDED
            assert panel.last_outcome.insecure_switches == ("exactly_once",)
        finally:
            panel.close()


def test_unreachable_server_shown_as_error() -> None:
    panel = AttackConsole(target_url="http://127.0.0.1:9/notify", lang="en")
    try:
        panel.launch_button.click()
        assert "Failed" in panel.error.value
        assert panel.last_outcome is None
    finally:
        panel.close()


def test_remote_target_rejected() -> None:
    with pytest.raises(TargetNotLoopbackError):
        AttackConsole(target_url="http://example.com/notify")
