"""`python -m wxpay_lesson doctor` run as a real command on the example captures.

The captures in data/captures/ are written by scripts/make_captures.py; the first test
checks that the committed files are exactly what the script writes.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from wxpay_lesson import CallbackError, CallbackVerifier, SimulatedPlatform, load_test_keys
from wxpay_lesson.doctor import CaptureFormatError, diagnose, parse_capture
from wxpay_lesson.doctor.capture import format_http_capture, format_json_capture
from wxpay_lesson.doctor.examples import CAPTURE_TIME, example_captures
from wxpay_lesson.testkeys import DATA_DIR, TEST_KEYS_DIR

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = DATA_DIR / "captures"
PLATFORM_KEY = f"{load_test_keys().platform.serial}=" + str(TEST_KEYS_DIR / "platform_certificate.pem")
EXAMPLES = {capture.filename: capture for capture in example_captures()}


def doctor(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wxpay_lesson", "doctor", *arguments], capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT, timeout=60, check=False)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "apiv3.key"
    path.write_text(load_test_keys().api_v3_key + "\n", encoding="ascii")
    return path


def test_committed_captures_match_script(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_captures.py"), str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted(EXAMPLES)
    for name in written:
        assert (tmp_path / name).read_bytes() == (CAPTURES / name).read_bytes(), name


def test_captures_in_both_formats() -> None:
    formats = {parse_capture((CAPTURES / name).read_bytes()).format for name in EXAMPLES}
    assert formats == {"http", "json"}
    gbk = json.loads((CAPTURES / "03-gbk-body.json").read_text(encoding="utf-8"))
    assert "body_base64" in gbk


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_cli_json_on_each_capture(name: str, key_file: Path) -> None:
    expected = EXAMPLES[name]
    result = doctor(str(CAPTURES / name), "--public-key", PLATFORM_KEY, "--api-v3-key-file", str(key_file),
                    "--now", str(CAPTURE_TIME), "--json", "--lang", "en")
    report = json.loads(result.stdout)
    assert result.returncode == (0 if expected.expected_step is None else 1), result.stderr
    assert set(report) >= {"ok", "failed_step", "causes", "steps"}
    assert report["ok"] is (expected.expected_step is None)
    assert report["failed_step"] == expected.expected_step
    assert report["causes"][0]["code"] == expected.expected_cause
    assert all(set(cause) >= {"code", "explanation"} for cause in report["causes"])
    assert [step["name"] for step in report["steps"]] == [
        "headers", "signature_type", "timestamp", "serial", "signature", "envelope", "algorithm", "decryption",
        "plaintext"]
    assert {step["status"] for step in report["steps"]} <= {"passed", "failed", "skipped"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_capture_file_agrees_with_verifier(name: str) -> None:
    capture = parse_capture((CAPTURES / name).read_bytes())
    platform = SimulatedPlatform()
    public_keys = {platform.certificate_serial: platform.certificate(platform.certificate_serial)}
    verifier = CallbackVerifier(platform.api_v3_key, public_keys, clock=lambda: CAPTURE_TIME)
    try:
        verifier.verify(capture.headers, capture.body)
    except CallbackError as exc:
        expected: str | None = exc.code
    else:
        expected = None
    diagnosis = diagnose(capture.headers, capture.body, public_keys=public_keys, api_v3_key=platform.api_v3_key,
                         clock=lambda: CAPTURE_TIME)
    found = None if diagnosis.failed_step is None else diagnosis.step(diagnosis.failed_step).code
    assert found == expected


def test_cli_text_in_chinese() -> None:
    result = doctor(str(CAPTURES / "01-reserialized.json"), "--public-key", PLATFORM_KEY, "--now",
                    str(CAPTURE_TIME), "--lang", "zh-CN")
    assert result.returncode == 1
    assert "BODY_RESERIALIZED" in result.stdout
    assert "请求体在验签前被解析成 JSON" in result.stdout
    assert "signature 步骤失败" in result.stdout


def test_cli_stale_without_now() -> None:
    # The system clock is years after the capture, so the timestamp step fails.
    result = doctor(str(CAPTURES / "05-genuine.http"), "--public-key", PLATFORM_KEY, "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["failed_step"] == "timestamp"
    assert report["causes"][0]["subcause"] == "OLD_CAPTURE"


def test_cli_wrong_api_v3_key(tmp_path: Path) -> None:
    path = tmp_path / "apiv2.key"
    path.write_text(load_test_keys().api_v2_key, encoding="ascii")
    result = doctor(str(CAPTURES / "05-genuine.http"), "--public-key", PLATFORM_KEY, "--api-v3-key-file",
                    str(path), "--now", str(CAPTURE_TIME), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["failed_step"] == "decryption"
    assert report["causes"][0]["code"] == "APIV3_KEY_WRONG"
    assert load_test_keys().api_v2_key not in result.stdout + result.stderr


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("as_json", [False, True])
def test_cli_prints_no_secret(key_file: Path, lang: str, as_json: bool) -> None:
    capture = parse_capture((CAPTURES / "05-genuine.http").read_bytes())
    arguments = [str(CAPTURES / "05-genuine.http"), "--public-key", PLATFORM_KEY, "--api-v3-key-file",
                 str(key_file), "--now", str(CAPTURE_TIME), "--lang", lang]
    result = doctor(*arguments, *(["--json"] if as_json else []))
    output = result.stdout + result.stderr
    assert result.returncode == 0
    assert load_test_keys().api_v3_key not in output
    assert "LESSON-07-0005" not in output
    assert "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" not in output
    assert capture.body.decode("utf-8") not in output
    assert json.loads(capture.body)["resource"]["ciphertext"][:24] not in output
    with_plaintext = doctor(*arguments, *(["--json"] if as_json else []), "--show-plaintext")
    assert "LESSON-07-0005" in with_plaintext.stdout
    assert load_test_keys().api_v3_key not in with_plaintext.stdout + with_plaintext.stderr


def test_cli_message_file_with_crlf(tmp_path: Path) -> None:
    capture = parse_capture((CAPTURES / "05-genuine.http").read_bytes())
    timestamp = capture.headers.get("Wechatpay-Timestamp") or ""
    nonce = capture.headers.get("Wechatpay-Nonce") or ""
    path = tmp_path / "message.bin"
    path.write_bytes(f"{timestamp}\r\n{nonce}\r\n".encode() + capture.body + b"\r\n")
    result = doctor(str(CAPTURES / "05-genuine.http"), "--public-key", PLATFORM_KEY, "--now", str(CAPTURE_TIME),
                    "--message-file", str(path), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0
    assert [cause["code"] for cause in report["causes"]] == ["CAPTURE_VERIFIES", "CALLER_MESSAGE_WRONG"]
    assert report["causes"][1]["subcause"] == "MESSAGE_CRLF"


def test_cli_invalid_public_key_argument() -> None:
    result = doctor(str(CAPTURES / "05-genuine.http"), "--public-key", "platform_certificate.pem")
    assert result.returncode == 2
    assert "SERIAL=PEMFILE" in result.stderr


def test_cli_private_key_rejected() -> None:
    path = TEST_KEYS_DIR / "platform_private_key.pem"
    result = doctor(str(CAPTURES / "05-genuine.http"), "--public-key", f"3A1B5C7D9E2F40618293A4B5C6D7E8F901234567={path}")
    assert result.returncode == 2
    assert "private key" in result.stderr
    assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_cli_missing_capture() -> None:
    result = doctor("no-such-capture.http")
    assert result.returncode == 2
    assert "capture file not found" in result.stderr


def test_cli_unreadable_capture(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("the callback failed again\n", encoding="utf-8")
    result = doctor(str(path))
    assert result.returncode == 2
    assert "neither a raw HTTP request" in result.stderr


def test_cli_consumed_body_note() -> None:
    result = doctor(str(CAPTURES / "02-consumed-body.http"), "--public-key", PLATFORM_KEY, "--now",
                    str(CAPTURE_TIME))
    assert result.returncode == 1
    assert "the body has 0 bytes but Content-Length is" in result.stderr


def test_cli_dropped_bytes_note(tmp_path: Path) -> None:
    data = (CAPTURES / "05-genuine.http").read_bytes() + b"\n"
    path = tmp_path / "saved-by-editor.http"
    path.write_bytes(data)
    result = doctor(str(path), "--public-key", PLATFORM_KEY, "--now", str(CAPTURE_TIME))
    assert result.returncode == 0
    assert "1 bytes after Content-Length" in result.stderr


# ---------------------------------------------------------------- reading captures


@pytest.fixture
def notification() -> tuple[dict[str, str], bytes]:
    platform = SimulatedPlatform(clock=lambda: CAPTURE_TIME)
    resource = platform.transaction("LESSON-07-READ", 100, transaction_id="4200000000000000000000000099")
    return platform.notify(resource, timestamp=CAPTURE_TIME, nonce="r" * 32, resource_nonce="Zx8cV5bN2mQ4",
                           notification_id="EV-LESSON-07-READ")


def test_http_and_json_captures_agree(notification: tuple[dict[str, str], bytes]) -> None:
    headers, body = notification
    platform = SimulatedPlatform()
    for data in (format_http_capture(headers, body), format_json_capture(headers, body)):
        capture = parse_capture(data)
        assert capture.body == body
        result = diagnose(capture.headers, capture.body, public_keys=platform.public_keys,
                          api_v3_key=platform.api_v3_key, clock=lambda: CAPTURE_TIME)
        assert result.ok


def test_http_capture_with_lf_line_endings(notification: tuple[dict[str, str], bytes]) -> None:
    headers, body = notification
    head = "POST /notify HTTP/1.1\n" + "".join(f"{name}: {value}\n" for name, value in headers.items())
    capture = parse_capture(head.encode("latin-1") + b"\n" + body)
    assert capture.body == body
    assert capture.headers.get("wechatpay-nonce") == "r" * 32


def test_http_capture_keeps_duplicate_headers(notification: tuple[dict[str, str], bytes]) -> None:
    headers, body = notification
    data = format_http_capture({**headers, "Wechatpay-Nonce": headers["Wechatpay-Nonce"]}, body)
    data = data.replace(b"Content-Type:", b"Wechatpay-Nonce: other\r\nContent-Type:")
    capture = parse_capture(data)
    result = diagnose(capture.headers, capture.body, public_keys=SimulatedPlatform().public_keys,
                      clock=lambda: CAPTURE_TIME)
    assert result.failed_step == "headers"
    assert result.step("headers").code == "MALFORMED_HEADER"


def test_http_capture_short_body_is_kept(notification: tuple[dict[str, str], bytes]) -> None:
    headers, body = notification
    capture = parse_capture(format_http_capture(headers, body)[:-10])
    assert capture.body == body[:-10]
    assert "consumed or truncated" in capture.notes[0]


def test_http_capture_bad_content_length(notification: tuple[dict[str, str], bytes]) -> None:
    headers, body = notification
    data = format_http_capture(headers, body).replace(f"Content-Length: {len(body)}".encode(), b"Content-Length: 1e3")
    with pytest.raises(CaptureFormatError, match="Content-Length must be a number"):
        parse_capture(data)


def test_json_capture_body_base64(notification: tuple[dict[str, str], bytes]) -> None:
    headers, body = notification
    record = {"headers": [[name, value] for name, value in headers.items()],
              "body_base64": base64.b64encode(body).decode("ascii")}
    capture = parse_capture(json.dumps(record).encode("utf-8"))
    assert capture.body == body
    assert capture.format == "json"


@pytest.mark.parametrize("record, message", [
    ({"headers": {}}, "no 'body'"),
    ({"body": "{}"}, "no 'headers'"),
    ({"headers": {}, "body": {"id": "x"}}, "not parsed JSON"),
    ({"headers": {}, "body": "", "body_base64": ""}, "both"),
    ({"headers": {}, "body_base64": "not base64!"}, "not valid standard base64"),
    ({"headers": {"Wechatpay-Nonce": 5}, "body": ""}, "must be a string"),
])
def test_json_capture_errors(record: dict[str, object], message: str) -> None:
    with pytest.raises(CaptureFormatError, match=message):
        parse_capture(json.dumps(record).encode("utf-8"))
