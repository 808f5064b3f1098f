"""The merchant and platform commands print their messages in English or Chinese."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wxpay_lesson", *arguments], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, check=False)


@pytest.mark.parametrize("lang,expected", [("en", "without --demo-insecure"), ("zh-CN", "没有指定 --demo-insecure")])
def test_merchant_refuses_insecure_start(lang: str, expected: str, tmp_path: Path) -> None:
    result = run_command("merchant", "--lang", lang, "--insecure-no-signature", "--port", "0",
                         "--db", str(tmp_path / "shop.sqlite3"))
    assert result.returncode == 2
    assert expected in result.stderr
    assert "signature" in result.stderr


@pytest.mark.parametrize("lang,expected", [("en", "cannot start the platform"), ("zh-CN", "无法在")])
def test_platform_start_failure_message(lang: str, expected: str) -> None:
    # A port that another socket already listens on makes the start fail at once.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_command("platform", "--lang", lang, "--port", str(port))
    assert result.returncode == 1
    assert expected in result.stderr


def test_server_start_on_taken_port_raises_os_error(tmp_path: Path) -> None:
    # werkzeug alone would print and call sys.exit(), which ends a notebook kernel.
    from wxpay_lesson.merchant.server import MerchantServer

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = MerchantServer(tmp_path / "shop.sqlite3", None, port=taken.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
    assert not server.running
