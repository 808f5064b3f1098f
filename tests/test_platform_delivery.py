"""Callback delivery by the simulated WeChat Pay service, over real HTTP on 127.0.0.1.

A scripted receiver replies with a given status or delay per attempt. Each rule of
WeChat Pay's reply semantics is checked on its own: 200 and 204 stop retries, 4xx and
5xx do not, and a reply after the deadline counts as a failure.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from flask import Flask, Response, request

from wxpay_lesson import CallbackVerifier, SimulatedPlatform
from wxpay_lesson.merchant import BackgroundServer
from wxpay_lesson.merchant.platform_client import PlatformClient, PlatformRequestError
from wxpay_lesson.platform import NotificationDelivery, PlatformServer, scaled_reply_deadline
from wxpay_lesson.retries import attempt_offsets_seconds

# 1e-5 runs the whole 24 h 4 min schedule in under a second.
TINY_SCALE = 1e-5


class ScriptedReceiver:
    """A notify_url that replies per attempt from a script and records each request.

    A script entry is an HTTP status, or ("slow", seconds, status) for a late reply.
    After the script ends it replies 204.
    """

    def __init__(self, script: list) -> None:
        self.script = list(script)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        app = Flask("scripted-receiver")

        @app.post("/notify")
        def notify() -> Response:
            body = request.get_data()
            with self._lock:
                self.requests.append((dict(request.headers), body))
                step = self.script.pop(0) if self.script else 204
            if isinstance(step, tuple):
                _, seconds, step = step
                time.sleep(seconds)
            if step == 204:
                reply = b""
            elif step == 200:
                reply = b'{"code":"SUCCESS"}'
            else:
                reply = b'{"code":"FAIL"}'
            return Response(reply, status=step, content_type="application/json")

        self.server = BackgroundServer(app, name="receiver")

    def __enter__(self) -> ScriptedReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.stop()

    @property
    def notify_url(self) -> str:
        return self.server.url + "/notify"


def deliver(receiver_url: str, *, reply_deadline: float | None = None, time_scale: float = TINY_SCALE):
    platform = SimulatedPlatform()
    delivery = NotificationDelivery(platform, time_scale=time_scale, reply_deadline=reply_deadline)
    job = delivery.deliver(receiver_url, platform.transaction("ORDER-DELIVERY-0001", 100),
                           event_type="TRANSACTION.SUCCESS")
    assert job.wait(20), "delivery did not finish in 20 s"
    return job


@pytest.mark.parametrize("status", [200, 204])
def test_delivery_stops_on_200_or_204(status):
    with ScriptedReceiver([status]) as receiver:
        job = deliver(receiver.notify_url)

    assert job.state == "RECEIVED"
    assert len(job.attempts) == 1
    assert job.attempts[0].status == status


def test_delivery_stops_on_200_with_fail_body():
    with ScriptedReceiver([]) as receiver:
        receiver.script = [200]
        job = deliver(receiver.notify_url)

    assert job.state == "RECEIVED"
    assert len(receiver.requests) == 1


def test_delivery_retries_on_4xx_and_5xx():
    with ScriptedReceiver([400, 401, 413, 500, 503, 204]) as receiver:
        job = deliver(receiver.notify_url)

    assert [attempt.status for attempt in job.attempts] == [400, 401, 413, 500, 503, 204]
    assert [attempt.outcome for attempt in job.attempts[:-1]] == ["HTTP_ERROR"] * 5
    assert job.attempts[-1].outcome == "RECEIVED"
    assert [attempt.reply_code for attempt in job.attempts[:-1]] == ["FAIL"] * 5


def test_late_reply_counts_as_failure_and_is_retried():
    with ScriptedReceiver([("slow", 1.0, 204), 204]) as receiver:
        job = deliver(receiver.notify_url, reply_deadline=0.5)

    assert [attempt.outcome for attempt in job.attempts] == ["TIMEOUT", "RECEIVED"]
    assert job.attempts[0].status is None
    assert len(receiver.requests) == 2


def test_unreachable_merchant_gets_full_schedule_then_gives_up():
    with ScriptedReceiver([]) as receiver:
        url = receiver.notify_url
    # The receiver is stopped, so every connection is refused.

    job = deliver(url)

    assert job.state == "GAVE_UP"
    assert len(job.attempts) == 16
    assert {attempt.outcome for attempt in job.attempts} == {"CONNECTION_FAILED"}
    assert [attempt.scheduled_offset for attempt in job.attempts] == attempt_offsets_seconds()


def test_each_attempt_is_freshly_signed_with_same_id():
    with ScriptedReceiver([500, 500, 204]) as receiver:
        deliver(receiver.notify_url)
    platform = SimulatedPlatform()
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys)

    notifications = [verifier.verify(headers, body) for headers, body in receiver.requests]
    nonces = {headers["Wechatpay-Nonce"] for headers, _ in receiver.requests}
    bodies = {body for _, body in receiver.requests}

    assert len(notifications) == 3
    assert len({n.id for n in notifications}) == 1
    assert len(nonces) == 3
    assert len(bodies) == 3
    assert {n.transaction.out_trade_no for n in notifications} == {"ORDER-DELIVERY-0001"}


def test_retries_wait_the_scaled_schedule():
    # Three failures at scale 0.002: the first retry is due 30 ms after the first attempt,
    # the second 60 ms, the third 120 ms. Delivery must not run ahead of the schedule.
    with ScriptedReceiver([500, 500, 500, 204]) as receiver:
        started = time.monotonic()
        job = deliver(receiver.notify_url, time_scale=0.002)
        elapsed = time.monotonic() - started

    assert len(job.attempts) == 4
    assert elapsed >= 60 * 0.002


@pytest.mark.parametrize(("time_scale", "deadline"), [(1.0, 5.0), (0.5, 2.5), (0.001, 0.5)])
def test_reply_deadline_scales_with_floor(time_scale, deadline):
    assert scaled_reply_deadline(time_scale) == pytest.approx(deadline)


@pytest.mark.parametrize("time_scale", [0, -1, True, "fast"])
def test_delivery_rejects_invalid_time_scale(time_scale):
    with pytest.raises(ValueError, match="time_scale"):
        NotificationDelivery(SimulatedPlatform(), time_scale=time_scale)


# ---------------------------------------------------------------- the platform's HTTP API


def post_json(url: str, payload) -> tuple[int, dict]:
    data = json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def platform_server():
    with PlatformServer(time_scale=TINY_SCALE) as server:
        yield server


@pytest.fixture
def client(platform_server) -> PlatformClient:
    platform = SimulatedPlatform()
    verifier = CallbackVerifier(platform.api_v3_key, platform.public_keys)
    return PlatformClient(platform_server.url, verifier, mchid=platform.mchid, appid=platform.appid)


def test_query_reply_is_signed_and_verified(platform_server, client):
    client.create_prepay("ORDER-QUERY-0001", "coffee", 1800, "CNY", "http://127.0.0.1:9/notify")

    before = client.query_order("ORDER-QUERY-0001")
    platform_server.pay("ORDER-QUERY-0001", deliver=False)
    after = client.query_order("ORDER-QUERY-0001")

    assert before.trade_state == "NOTPAY"
    assert before.transaction_id is None
    assert after.trade_state == "SUCCESS"
    assert after.amount_total == 1800
    assert after.transaction_id is not None


def test_query_of_unknown_order_is_signed_404(client):
    with pytest.raises(PlatformRequestError) as caught:
        client.query_order("ORDER-MISSING-0001")

    assert caught.value.status == 404
    assert caught.value.code == "ORDER_NOT_EXIST"


def test_query_reply_with_changed_body_is_rejected(platform_server, client):
    client.create_prepay("ORDER-QUERY-0002", "coffee", 1800, "CNY", "http://127.0.0.1:9/notify")
    with urllib.request.urlopen(f"{platform_server.url}/v3/pay/transactions/out-trade-no/ORDER-QUERY-0002"
                                f"?mchid={client.mchid}", timeout=5) as response:
        headers, body = dict(response.headers.items()), response.read()

    client.verify_reply(headers, body)
    with pytest.raises(Exception) as caught:
        client.verify_reply(headers, body.replace(b"NOTPAY", b"SUCCESS"))
    assert getattr(caught.value, "code", None) == "INVALID_SIGNATURE"


def test_prepay_validates_fields(platform_server):
    status, body = post_json(platform_server.url + "/v3/pay/transactions/jsapi", {"mchid": "1230000109"})

    assert status == 400
    assert body["code"] == "PARAM_ERROR"
    assert "appid" in body["message"]


def test_simulate_pay_of_unknown_order_is_404(platform_server):
    status, body = post_json(platform_server.url + "/simulate/pay/ORDER-MISSING-0001", {})

    assert status == 404
    assert body["code"] == "ORDER_NOT_EXIST"


def test_attempt_log_reads_back_over_http(platform_server):
    with ScriptedReceiver([500, 204]) as receiver:
        status, _ = post_json(platform_server.url + "/v3/pay/transactions/jsapi", {
            "appid": "wxd678efh567hg6787", "mchid": "1230000109", "description": "coffee",
            "out_trade_no": "ORDER-LOG-0001", "notify_url": receiver.notify_url, "amount": {"total": 1800},
        })
        job = platform_server.pay("ORDER-LOG-0001")
        assert job.wait(10)
    with urllib.request.urlopen(platform_server.url + "/simulate/attempts?out_trade_no=ORDER-LOG-0001",
                                timeout=5) as response:
        attempts = json.loads(response.read())["attempts"]

    assert status == 200
    assert [attempt["status"] for attempt in attempts] == [500, 204]
    assert [attempt["scheduled_offset"] for attempt in attempts] == [0, 15]


def test_attempt_description_follows_language(monkeypatch):
    with ScriptedReceiver([500]) as receiver:
        job = deliver(receiver.notify_url)

    assert job.attempts[0].describe() == "failed (500) code=FAIL"
    monkeypatch.setenv("WXPAY_LESSON_LANG", "zh-CN")
    assert job.attempts[0].describe() == "失败（500） code=FAIL"


def test_timeline_plot_draws_each_order_row():
    import matplotlib

    matplotlib.use("Agg")
    from wxpay_lesson.platform import plot_retry_timeline

    with ScriptedReceiver([500, 204]) as receiver:
        job = deliver(receiver.notify_url)
    figure = plot_retry_timeline(job.attempts)
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]

    assert labels == ["WeChat Pay schedule", "ORDER-DELIVERY-0001"]
    assert len(figure.axes[0].get_legend().get_texts()) == 2


def create_platform_order(platform_server, out_trade_no: str, notify_url: str = "http://127.0.0.1:9/notify") -> None:
    status, body = post_json(platform_server.url + "/v3/pay/transactions/jsapi", {
        "appid": "wxd678efh567hg6787", "mchid": "1230000109", "description": "notebook",
        "out_trade_no": out_trade_no, "notify_url": notify_url, "amount": {"total": 9900},
    })
    assert status == 200, body


def test_simulate_refund_over_http(platform_server):
    with ScriptedReceiver([]) as receiver:
        create_platform_order(platform_server, "ORDER-REFUND-0001", receiver.notify_url)
        assert post_json(platform_server.url + "/simulate/pay/ORDER-REFUND-0001", {})[0] == 200

        status, body = post_json(platform_server.url + "/simulate/refund/ORDER-REFUND-0001", {"amount": 900})
        job = platform_server.service.delivery.jobs("ORDER-REFUND-0001")[-1]
        assert job.wait(10)

    assert status == 200
    assert body["trade_state"] == "REFUND"
    assert job.event_type == "REFUND.SUCCESS"
    assert job.state == "RECEIVED"
    assert platform_server.service.order("ORDER-REFUND-0001").refunded_total == 900


@pytest.mark.parametrize(("payload", "code"), [({"amount": 0}, "PARAM_ERROR"), ({"amount": 99000}, "NOT_ENOUGH"),
                                               ({"out_refund_no": 7}, "PARAM_ERROR")])
def test_simulate_refund_rejects_invalid_request(platform_server, payload, code):
    create_platform_order(platform_server, "ORDER-REFUND-0002")
    platform_server.pay("ORDER-REFUND-0002", deliver=False)

    status, body = post_json(platform_server.url + "/simulate/refund/ORDER-REFUND-0002", payload)

    assert status == 400
    assert body["code"] == code


def test_simulate_refund_of_unpaid_order_rejected(platform_server):
    create_platform_order(platform_server, "ORDER-REFUND-0003")

    status, body = post_json(platform_server.url + "/simulate/refund/ORDER-REFUND-0003", {})

    assert status == 400
    assert body["code"] == "INVALID_REQUEST"


def test_simulate_pay_twice_rejected(platform_server):
    create_platform_order(platform_server, "ORDER-PAY-0001")

    first, _ = post_json(platform_server.url + "/simulate/pay/ORDER-PAY-0001", {"deliver": False})
    second, body = post_json(platform_server.url + "/simulate/pay/ORDER-PAY-0001", {"deliver": False})

    assert first == 200
    assert second == 400
    assert body["code"] == "ORDER_PAID"


def test_cli_platform_serves_with_time_scale():
    import subprocess
    import sys
    from pathlib import Path

    process = subprocess.Popen(
        [sys.executable, "-m", "wxpay_lesson", "platform", "--port", "0", "--time-scale", "0.01"],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = process.stdout.readline()
        url = line.split("listening on ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "/health", timeout=10) as response:
            health = json.loads(response.read())
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert health["time_scale"] == 0.01
    assert health["reply_deadline"] == 0.5


def test_cli_platform_rejects_zero_time_scale():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "wxpay_lesson", "platform", "--time-scale", "0"],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "positive" in result.stderr


def test_timeline_plot_without_cjk_font_stays_english(monkeypatch, recwarn):
    import matplotlib

    matplotlib.use("Agg")
    from wxpay_lesson.platform import timeline

    monkeypatch.setenv("WXPAY_LESSON_LANG", "zh-CN")
    monkeypatch.setattr(timeline, "CJK_FONTS", ("No Such Font For This Test",))
    with ScriptedReceiver([204]) as receiver:
        job = deliver(receiver.notify_url)
    figure = timeline.plot_retry_timeline(job.attempts)
    figure.canvas.draw()
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]

    assert labels[0] == "WeChat Pay schedule"
    assert not [warning for warning in recwarn if "Glyph" in str(warning.message)]
