"""`python -m wxpay_lesson attack`: the list, a real launch, and the loopback-only rule."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wxpay_lesson.attacks import ATTACKS
from wxpay_lesson.cli import main
from wxpay_lesson.merchant.server import MerchantServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MerchantServer]:
    with MerchantServer(tmp_path_factory.mktemp("cli-attack") / "merchant.sqlite3") as running:
        yield running


def test_list_names_every_attack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "--list", "--lang", "en"]) == 0
    output = capsys.readouterr().out
    for attack in ATTACKS:
        assert attack.name in output
    assert "attacker has: a captured genuine notification" in output


def test_list_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "--list", "--lang", "zh-CN"]) == 0
    assert "攻击者拥有" in capsys.readouterr().out


def test_list_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in listed] == [attack.name for attack in ATTACKS]


def test_launch_prints_rejection(server: MerchantServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "attacker-key-real-serial", "--target", server.notify_url, "--lang", "en"]) == 0
    output = capsys.readouterr().out
    assert "verdict: rejected" in output
    assert "HTTP status: 401" in output
    assert "rejection code: INVALID_SIGNATURE" in output
    assert "read from the reply body" not in output


def test_launch_as_json(server: MerchantServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "replay-in-window", "--target", server.notify_url, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "harmless"
    assert result["http_status"] == 204
    assert result["changed_orders"] == []
    assert result["insecure_switches"] == []


@pytest.mark.parametrize("target", [
    "http://example.com/notify",
    "http://10.1.2.3:8000/notify",
    "http://169.254.169.254/notify",
    "http://localhost.example.com:8000/notify",
])
def test_non_loopback_target_rejected(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "replay-in-window", "--target", target, "--lang", "en"]) == 2
    error = capsys.readouterr().err
    assert "refusing target" in error
    assert "not a loopback address" in error


def test_non_loopback_message_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "replay-in-window", "--target", "http://example.com/notify", "--lang", "zh-CN"]) == 2
    assert "不是回环地址" in capsys.readouterr().err


def test_https_target_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "replay-in-window", "--target", "https://127.0.0.1:8443/notify", "--lang", "en"]) == 2
    assert "http:// URL on loopback" in capsys.readouterr().err


def test_unknown_attack_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "no-such-attack", "--target", "http://127.0.0.1:9/notify", "--lang", "en"]) == 2
    assert "no attack named 'no-such-attack'" in capsys.readouterr().err


def test_missing_target_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "replay-in-window", "--lang", "en"]) == 2
    assert "--target" in capsys.readouterr().err


def test_unreachable_server_reported(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) on loopback: nothing listens there in the test environment.
    assert main(["attack", "replay-in-window", "--target", "http://127.0.0.1:9/notify", "--lang", "en"]) == 1
    assert "could not reach" in capsys.readouterr().err


def test_module_entry_point_lists_attacks() -> None:
    result = subprocess.run([sys.executable, "-m", "wxpay_lesson", "attack", "--list", "--lang", "en"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "duplicate-storm" in result.stdout
