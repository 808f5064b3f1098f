"""The attack lab's loopback-only rule and its log capture."""

from __future__ import annotations

import logging

import pytest

from wxpay_lesson.attacks import TargetNotLoopbackError, capture_server_log, check_loopback_target, is_loopback_host
from wxpay_lesson.attacks import launch
from wxpay_lesson.attacks.launch import rejection_code
from wxpay_lesson.attacks.target import Reply


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "localhost", "LOCALHOST"])
def test_loopback_host_accepted(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", [
    "10.0.0.1", "192.168.1.1", "0.0.0.0", "169.254.169.254", "::", "::ffff:127.0.0.1",
    "localhost.example.com", "127.0.0.1.nip.io", "2130706433", "127.1", "0x7f000001", "example.com", "",
])
def test_other_host_rejected(host: str) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize("url, base", [
    ("http://127.0.0.1:8000/notify", "http://127.0.0.1:8000"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ("http://localhost:8000/notify", "http://localhost:8000"),
    ("http://[::1]:8000/notify", "http://[::1]:8000"),
])
def test_loopback_target_parsed(url: str, base: str) -> None:
    target = check_loopback_target(url)
    assert target.base_url == base
    assert target.notify_url == base + "/notify"


@pytest.mark.parametrize("url, part", [
    ("http://example.com:8000/notify", "host"),
    ("http://10.0.0.5:8000/notify", "host"),
    ("http://169.254.169.254/notify", "host"),
    ("http://localhost.example.com:8000/notify", "host"),
    ("http://2130706433:8000/notify", "host"),
    ("https://127.0.0.1:8000/notify", "scheme"),
    ("ftp://127.0.0.1:8000/notify", "scheme"),
    ("127.0.0.1:8000/notify", "scheme"),
    ("http://127.0.0.1/notify", "port"),
    ("http://127.0.0.1:99999/notify", "port"),
    ("http://user:secret@127.0.0.1:8000/notify", "credentials"),
    ("http://127.0.0.1:8000/admin", "path"),
    ("http://127.0.0.1:8000/notify?x=1", "path"),
    ("", "url"),
])
def test_bad_target_rejected(url: str, part: str) -> None:
    with pytest.raises(TargetNotLoopbackError) as caught:
        check_loopback_target(url)
    assert caught.value.part == part


def test_launch_rejects_remote_target_before_sending() -> None:
    # 192.0.2.0/24 is TEST-NET-1, reserved for documentation. The check runs before any socket opens.
    with pytest.raises(TargetNotLoopbackError, match="only attacks a server on this machine"):
        launch("replay-in-window", "http://192.0.2.10:8000/notify")


def test_launch_rejects_unknown_attack() -> None:
    with pytest.raises(KeyError, match="no attack named"):
        launch("no-such-attack", "http://127.0.0.1:9/notify")


def test_capture_collects_kit_log_lines() -> None:
    with capture_server_log() as capture:
        logging.getLogger("wxpay_lesson.merchant.handler").warning("callback rejected: code=%s", "INVALID_SIGNATURE")
    assert capture.take() == ["WARNING wxpay_lesson.merchant.handler: callback rejected: code=INVALID_SIGNATURE"]


def test_capture_removes_its_handler() -> None:
    logger = logging.getLogger("wxpay_lesson")
    handlers = list(logger.handlers)
    level = logger.level
    with capture_server_log():
        pass
    assert logger.handlers == handlers
    assert logger.level == level


@pytest.mark.parametrize("reply, code", [
    (Reply(401, b'{"code":"FAIL","message":"signature verification failed"}'), "INVALID_SIGNATURE"),
    (Reply(401, b'{"code":"FAIL","message":"timestamp out of window"}'), "TIMESTAMP_OUT_OF_WINDOW"),
    (Reply(400, b'{"code":"FAIL","message":"notification does not match the order"}'), "BUSINESS_MISMATCH"),
    (Reply(413, b'{"code":"FAIL","message":"request body over 65536 bytes"}'), "BODY_TOO_LARGE"),
    (Reply(404, b'{"code":"ORDER_NOT_FOUND","message":"order not found"}'), "ORDER_NOT_FOUND"),
    (Reply(502, b"<html>bad gateway</html>"), "HTTP_502"),
])
def test_rejection_code_from_reply(reply: Reply, code: str) -> None:
    assert rejection_code([Reply(204, b""), reply], []) == (code, "reply")


def test_rejection_code_prefers_handler_log() -> None:
    replies = [Reply(401, b'{"code":"FAIL","message":"signature verification failed"}')]
    log = ["WARNING wxpay_lesson.merchant.handler: callback rejected: code=SIGNATURE_PROBE field=None serial=X status=401"]
    assert rejection_code(replies, log) == ("SIGNATURE_PROBE", "log")


def test_no_rejection_code_without_rejection() -> None:
    assert rejection_code([Reply(204, b"")], []) == (None, None)
