"""The merchant backend over real HTTP on 127.0.0.1, with the simulated platform and SQLite files."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from wxpay_lesson import SimulatedPlatform
from wxpay_lesson.merchant import MAX_NOTIFY_BODY_BYTES, MerchantServer
from wxpay_lesson.platform import PlatformServer

REPOSITORY = Path(__file__).resolve().parent.parent
TIME_SCALE = 1e-4


def call(method: str, url: str, payload=None, *, data: bytes | None = None, headers=None) -> tuple[int, dict | None]:
    if payload is not None:
        data = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return exc.code, json.loads(body) if body else None


@pytest.fixture
def servers(tmp_path):
    with PlatformServer(time_scale=TIME_SCALE) as platform, \
            MerchantServer(tmp_path / "merchant.sqlite3", platform.url) as merchant:
        yield platform, merchant


def create_order(merchant: MerchantServer, item: str = "coffee", **extra) -> dict:
    status, order = call("POST", merchant.url + "/orders", {"item": item, **extra})
    assert status == 201, order
    return order


def test_happy_path_create_pay_callback_query(servers):
    platform, merchant = servers

    order = create_order(merchant)
    job = platform.pay(order["out_trade_no"])
    assert job.wait(10)
    status, paid = call("GET", f"{merchant.url}/orders/{order['out_trade_no']}")
    status_report, report = call("POST", f"{merchant.url}/orders/{order['out_trade_no']}/client-report",
                                 {"status": "SUCCESS"})

    assert order["status"] == "NOTPAY"
    assert order["prepay_id"].startswith("wx")
    assert [attempt.status for attempt in job.attempts] == [204]
    assert status == 200
    assert paid["status"] == "SUCCESS"
    assert paid["side_effects"] == 1
    assert paid["transaction_id"] == platform.service.order(order["out_trade_no"]).transaction_id
    assert status_report == 200
    assert report["query"] == "SUCCESS"
    assert report["order"]["side_effects"] == 1


def test_checkout_price_comes_from_catalogue(servers):
    _, merchant = servers

    order = create_order(merchant, "coffee", amount=1, amount_total=1, price=1)

    assert order["amount"] == {"total": 1800, "currency": "CNY"}


@pytest.mark.parametrize("payload", [{}, {"item": 7}, {"item": "caviar"}, {"item": "coffee", "out_trade_no": "x"}])
def test_checkout_rejects_invalid_request(servers, payload):
    _, merchant = servers

    status, body = call("POST", merchant.url + "/orders", payload)

    assert status == 400
    assert body["code"] in ("INVALID_REQUEST", "UNKNOWN_ITEM")


def test_unknown_order_is_404(servers):
    _, merchant = servers

    assert call("GET", merchant.url + "/orders/ORDER-MISSING")[0] == 404
    assert call("POST", merchant.url + "/orders/ORDER-MISSING/client-report", {"status": "SUCCESS"})[0] == 404


def test_client_report_alone_never_pays(servers):
    _, merchant = servers
    order = create_order(merchant)

    status, report = call("POST", f"{merchant.url}/orders/{order['out_trade_no']}/client-report", {"status": "SUCCESS"})

    assert status == 200
    assert report["claim_recorded"] is True
    assert report["query"] == "NOTPAY"
    assert report["order"]["status"] == "NOTPAY"
    assert report["order"]["side_effects"] == 0
    assert merchant.store.client_reports(order["out_trade_no"])[0]["query_outcome"] == "NOTPAY"


def test_lost_callback_recovered_by_active_query(servers):
    platform, merchant = servers
    order = create_order(merchant)
    platform.pay(order["out_trade_no"], deliver=False)

    unpaid = call("GET", f"{merchant.url}/orders/{order['out_trade_no']}")[1]
    _, report = call("POST", f"{merchant.url}/orders/{order['out_trade_no']}/client-report", {"status": "SUCCESS"})

    assert unpaid["status"] == "NOTPAY"
    assert report["query"] == "SUCCESS"
    assert report["order"]["status"] == "SUCCESS"
    assert report["order"]["side_effects"] == 1


def test_query_reply_from_impostor_platform_is_rejected(tmp_path):
    # The merchant trusts the real platform's keys; a platform that signs with other keys is refused.
    impostor = SimulatedPlatform()
    impostor._signers[impostor.certificate_serial] = impostor.keys.attacker.private_key
    with PlatformServer(time_scale=TIME_SCALE, platform=impostor) as platform, \
            MerchantServer(tmp_path / "merchant.sqlite3", platform.url) as merchant:
        order = create_order(merchant)
        platform.pay(order["out_trade_no"], deliver=False)
        _, report = call("POST", f"{merchant.url}/orders/{order['out_trade_no']}/client-report", {"status": "SUCCESS"})

    assert report["query"] == "FAILED:INVALID_SIGNATURE"
    assert report["order"]["status"] == "NOTPAY"


def test_refund_callback_updates_refund_state(servers):
    platform, merchant = servers
    order = create_order(merchant, "notebook")
    assert platform.pay(order["out_trade_no"]).wait(10)

    job = platform.service.refund(order["out_trade_no"], amount=900)
    assert job.wait(10)
    refunded = call("GET", f"{merchant.url}/orders/{order['out_trade_no']}")[1]

    assert refunded["status"] == "REFUND"
    assert refunded["refund"] == {"status": "SUCCESS", "refunded_total": 900}


def test_notify_rejects_oversized_body_with_413(servers):
    _, merchant = servers

    status, body = call("POST", merchant.url + "/notify", data=b"{" + b" " * MAX_NOTIFY_BODY_BYTES + b"}")

    assert status == 413
    assert body["code"] == "FAIL"
    assert merchant.store.processed() == []


def test_notify_passes_raw_bytes_to_verifier(servers):
    platform, merchant = servers
    order = create_order(merchant)
    platform.pay(order["out_trade_no"], deliver=False)
    headers, body = platform.service.signed_notification(order["out_trade_no"])
    reserialised = json.dumps(json.loads(body)).encode()

    bad_status, _ = call("POST", merchant.url + "/notify", data=reserialised, headers=headers)
    good_status, _ = call("POST", merchant.url + "/notify", data=body, headers=headers)

    assert bad_status == 401
    assert good_status == 204


def test_health_reports_insecure_switches(tmp_path):
    from wxpay_lesson.merchant import Defences

    with MerchantServer(tmp_path / "m.sqlite3", defences=Defences(signature=False)) as merchant:
        status, body = call("GET", merchant.url + "/health")

    assert status == 200
    assert body["insecure_switches"] == ["signature"]


def test_restart_reuses_port_and_keeps_orders(tmp_path):
    merchant = MerchantServer(tmp_path / "merchant.sqlite3")
    merchant.start()
    port = merchant.port
    order = create_order(merchant)
    merchant.stop()

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
    merchant.start()
    try:
        status, again = call("GET", f"{merchant.url}/orders/{order['out_trade_no']}")
    finally:
        merchant.stop()

    assert merchant.port == port
    assert status == 200
    assert again["out_trade_no"] == order["out_trade_no"]


# ---------------------------------------------------------------- the command line


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wxpay_lesson", *args], cwd=REPOSITORY, capture_output=True,
                          text=True, timeout=60)


def test_cli_refuses_insecure_switch_without_demo_flag(tmp_path):
    result = run_cli("merchant", "--port", "0", "--db", str(tmp_path / "m.sqlite3"), "--insecure-no-signature")

    assert result.returncode == 2
    assert "--demo-insecure" in result.stderr
    assert "signature" in result.stderr


def test_cli_merchant_serves_with_demo_insecure(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "wxpay_lesson", "merchant", "--port", "0", "--db", str(tmp_path / "m.sqlite3"),
         "--demo-insecure", "--insecure-no-exactly-once"],
        cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        url = line.split("listening on ", 1)[1].split()[0]
        status, body = call("GET", url + "/health")
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert status == 200
    assert body["insecure_switches"] == ["exactly_once"]


def test_query_reply_that_mismatches_order_changes_nothing(servers):
    platform, merchant = servers
    # The platform already holds this out_trade_no at 1 fen, so the merchant's prepay fails
    # and a later query reply carries the wrong amount.
    platform.service.create_prepay({
        "appid": merchant.appid, "mchid": merchant.mchid, "description": "coffee", "out_trade_no": "LESSON-MISMATCH-1",
        "notify_url": "http://127.0.0.1:9/notify", "amount": {"total": 1},
    })
    status, body = call("POST", merchant.url + "/orders", {"item": "coffee", "out_trade_no": "LESSON-MISMATCH-1"})
    platform.pay("LESSON-MISMATCH-1", deliver=False)

    _, report = call("POST", merchant.url + "/orders/LESSON-MISMATCH-1/client-report", {"status": "SUCCESS"})

    assert status == 502
    assert body["code"] == "PREPAY_FAILED"
    assert report["query"] == "FAILED:BUSINESS_MISMATCH"
    assert report["order"]["status"] == "NOTPAY"
    assert merchant.store.rejections()[-1]["field"] == "amount.total"


@pytest.mark.parametrize("notify_url", ["http://192.0.2.10/notify", "https://127.0.0.1/notify", "ftp://localhost/x"])
def test_platform_delivers_only_to_loopback(servers, notify_url):
    platform, merchant = servers

    status, body = call("POST", platform.url + "/v3/pay/transactions/jsapi", {
        "appid": merchant.appid, "mchid": merchant.mchid, "description": "coffee", "out_trade_no": "LESSON-URL-1",
        "notify_url": notify_url, "amount": {"total": 1800},
    })

    assert status == 400
    assert body["code"] == "PARAM_ERROR"
    assert "notify_url" in body["message"]


def test_checkout_rejects_out_trade_no_with_invalid_characters(servers):
    _, merchant = servers

    status, body = call("POST", merchant.url + "/orders", {"item": "coffee", "out_trade_no": "ORDER 0001/../x"})

    assert status == 400
    assert "out_trade_no" in body["message"]


def test_notify_rejects_oversized_chunked_body_with_413(servers):
    import http.client

    _, merchant = servers
    connection = http.client.HTTPConnection("127.0.0.1", merchant.port, timeout=10)
    chunks = (b"x" * 1024 for _ in range(MAX_NOTIFY_BODY_BYTES // 1024 + 1))
    connection.request("POST", "/notify", body=chunks, headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    assert response.status == 413
    assert body["code"] == "FAIL"
    assert merchant.store.rejections() == []


HTTP_MISMATCHES = {
    "amount.total": {"amount_total": 1},
    "mchid": {"mchid": "1900000002"},
    "appid": {"appid": "wx0000000000000000"},
    "amount.currency": {"currency": "USD"},
    "trade_state": {"trade_state": "NOTPAY"},
}


@pytest.mark.parametrize("field", sorted(HTTP_MISMATCHES))
def test_business_mismatch_over_http_leaves_order_unchanged(servers, field):
    platform, merchant = servers
    order = create_order(merchant, "notebook")
    changes = dict(HTTP_MISMATCHES[field])
    amount = changes.pop("amount_total", 9900)
    resource = platform.service.platform.transaction(order["out_trade_no"], amount,
                                                     transaction_id="4200000000000000000000000099", **changes)
    headers, body = platform.service.platform.notify(resource)

    status, reply = call("POST", merchant.url + "/notify", data=body, headers=headers)
    after = call("GET", f"{merchant.url}/orders/{order['out_trade_no']}")[1]

    assert status == 400
    assert reply["code"] == "FAIL"
    assert after == order
    assert merchant.store.rejections()[-1]["field"] == field
