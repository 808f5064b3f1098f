"""The merchant's callback handler against a real SQLite store, without HTTP.

Every defence switch is exercised both ways: the attack it stops fails with the
defence on and succeeds with it off, so a later lab can rely on each switch.
"""

from __future__ import annotations

import base64
import logging

import pytest

from wxpay_lesson import CallbackVerifier, SimulatedPlatform, build_message, load_test_keys, sign_message
from wxpay_lesson.merchant import Defences, FaultPlan, Merchant, NotificationHandler, OrderStore
from wxpay_lesson.merchant.demo_checks import HEADER_SENDER_CERTIFICATE

from .conftest import NOW

ORDER = "ORDER-20240101-0001"
TRANSACTION_ID = "4200000000000000000000000001"


@pytest.fixture
def store(tmp_path) -> OrderStore:
    store = OrderStore(tmp_path / "merchant.sqlite3")
    store.create_order(ORDER, "Lesson notebook", 9900)
    return store


def make_handler(store: OrderStore, verifier: CallbackVerifier, defences: Defences = Defences(),
                 faults: FaultPlan | None = None) -> NotificationHandler:
    keys = load_test_keys()
    return NotificationHandler(store, verifier, mchid=keys.mchid, appid=keys.appid, defences=defences, faults=faults)


def paid_notification(platform: SimulatedPlatform, *, notification_id: str = "EV-TEST-0001", timestamp: int = NOW,
                      **overrides) -> tuple[dict[str, str], bytes]:
    amount = overrides.pop("amount_total", 9900)
    out_trade_no = overrides.pop("out_trade_no", ORDER)
    resource = platform.transaction(out_trade_no, amount, transaction_id=TRANSACTION_ID, **overrides)
    return platform.notify(resource, timestamp=timestamp, notification_id=notification_id)


def forge_with_attacker_key(platform: SimulatedPlatform, *, serial: str | None = None) -> tuple[dict[str, str], bytes]:
    """A notification encrypted with the (leaked) APIv3 key but signed with the attacker's key."""
    headers, body = paid_notification(platform, notification_id="EV-FORGED-0001")
    attacker = load_test_keys().attacker
    headers = dict(headers)
    headers["Wechatpay-Signature"] = sign_message(
        attacker.private_key, build_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body))
    if serial is not None:
        headers["Wechatpay-Serial"] = serial
    return headers, body


# ---------------------------------------------------------------- happy path and duplicates


def test_genuine_notification_pays_order_once(store, verifier, platform):
    handler = make_handler(store, verifier)

    status, _, body = handler.handle_notification(*paid_notification(platform))

    order = store.get_order(ORDER)
    assert status == 204
    assert body == b""
    assert order.status == "SUCCESS"
    assert order.transaction_id == TRANSACTION_ID
    assert order.side_effects == 1


def test_duplicate_delivery_replies_204_without_side_effect(store, verifier, platform):
    handler = make_handler(store, verifier)
    headers, body = paid_notification(platform)

    statuses = [handler.handle_notification(headers, body)[0] for _ in range(3)]

    assert statuses == [204, 204, 204]
    assert store.get_order(ORDER).side_effects == 1
    assert [row["outcome"] for row in store.processed(ORDER)] == ["APPLIED", "DUPLICATE", "DUPLICATE"]


def test_new_notification_id_same_transaction_is_duplicate(store, verifier, platform):
    handler = make_handler(store, verifier)

    first = handler.handle_notification(*paid_notification(platform, notification_id="EV-TEST-0001"))
    second = handler.handle_notification(*paid_notification(platform, notification_id="EV-TEST-0002"))

    assert first[0] == 204
    assert second[0] == 204
    assert store.get_order(ORDER).side_effects == 1
    assert [row["outcome"] for row in store.processed(ORDER)] == ["APPLIED", "DUPLICATE"]


# ---------------------------------------------------------------- business mismatches


MISMATCHES = [
    ("amount.total", {"amount_total": 1}),
    ("mchid", {"mchid": "1900000002"}),
    ("appid", {"appid": "wx0000000000000000"}),
    ("amount.currency", {"currency": "USD"}),
    ("trade_state", {"trade_state": "NOTPAY"}),
    ("trade_state", {"trade_state": "REFUND"}),
    ("out_trade_no", {"out_trade_no": "ORDER-NOT-OURS-0001"}),
]


@pytest.mark.parametrize(("field", "overrides"), MISMATCHES, ids=[str(sorted(o.items())) for _, o in MISMATCHES])
def test_business_mismatch_rejected_and_order_unchanged(store, verifier, platform, field, overrides):
    handler = make_handler(store, verifier)
    before = store.get_order(ORDER)

    status, headers, body = handler.handle_notification(*paid_notification(platform, **overrides),
                                                        remote_addr="127.0.0.1")

    assert status == 400
    assert b'"code":"FAIL"' in body
    assert store.get_order(ORDER) == before
    assert store.side_effects() == []
    rejection = store.rejections()[-1]
    assert rejection["code"] == "BUSINESS_MISMATCH"
    assert rejection["field"] == field
    assert rejection["notification_id"] == "EV-TEST-0001"
    assert rejection["remote_addr"] == "127.0.0.1"


def test_rejection_log_stores_no_body(store, verifier, platform):
    handler = make_handler(store, verifier)
    headers, body = paid_notification(platform)
    headers["Wechatpay-Signature"] = base64.b64encode(b"\x00" * 256).decode()

    status, _, _ = handler.handle_notification(headers, body)

    assert status == 401
    rejection = store.rejections()[-1]
    assert rejection["code"] == "INVALID_SIGNATURE"
    assert rejection["serial"] == platform.certificate_serial
    for value in rejection.values():
        assert "ciphertext" not in str(value)
    assert store.get_order(ORDER).status == "NOTPAY"


# ---------------------------------------------------------------- each defence switch, both ways


def test_signature_defence_stops_leaked_api_v3_key_forgery(store, verifier, platform):
    forged = forge_with_attacker_key(platform)

    secure = make_handler(store, verifier).handle_notification(*forged)
    assert secure[0] == 401
    assert store.get_order(ORDER).status == "NOTPAY"

    insecure = make_handler(store, verifier, Defences(signature=False)).handle_notification(*forged)
    assert insecure[0] == 204
    assert store.get_order(ORDER).status == "SUCCESS"


def test_timestamp_defence_stops_replay(store, verifier, platform):
    replayed = paid_notification(platform, timestamp=NOW - 3600)

    secure = make_handler(store, verifier).handle_notification(*replayed)
    assert secure[0] == 401
    assert store.rejections()[-1]["code"] == "TIMESTAMP_OUT_OF_WINDOW"

    insecure = make_handler(store, verifier, Defences(timestamp_window=False)).handle_notification(*replayed)
    assert insecure[0] == 204
    assert store.get_order(ORDER).status == "SUCCESS"


def test_serial_allow_list_stops_sender_supplied_certificate(store, verifier, platform):
    attacker = load_test_keys().attacker
    headers, body = forge_with_attacker_key(platform, serial=attacker.serial)
    headers[HEADER_SENDER_CERTIFICATE] = base64.b64encode(attacker.certificate_pem.encode()).decode()

    secure = make_handler(store, verifier).handle_notification(headers, body)
    assert secure[0] == 401
    assert store.rejections()[-1]["code"] == "UNKNOWN_SERIAL"

    insecure = make_handler(store, verifier, Defences(serial_allow_list=False)).handle_notification(headers, body)
    assert insecure[0] == 204
    assert store.get_order(ORDER).status == "SUCCESS"


def test_serial_allow_list_off_still_needs_a_certificate(store, verifier, platform):
    headers, body = forge_with_attacker_key(platform, serial=load_test_keys().attacker.serial)

    status, _, _ = make_handler(store, verifier, Defences(serial_allow_list=False)).handle_notification(headers, body)

    assert status == 401
    assert store.get_order(ORDER).status == "NOTPAY"


def test_probe_handling_rejects_probe_unless_switched_off(store, verifier, platform):
    resource = platform.transaction(ORDER, 9900, transaction_id=TRANSACTION_ID)
    probe = platform.notify(resource, timestamp=NOW, notification_id="EV-PROBE-0001", probe=True)

    secure = make_handler(store, verifier).handle_notification(*probe)
    assert secure[0] == 401
    assert store.rejections()[-1]["code"] == "SIGNATURE_PROBE"

    insecure = make_handler(store, verifier, Defences(probe_handling=False)).handle_notification(*probe)
    # Special-casing the prefix as test traffic skips the signature check, so whatever
    # carries the prefix is processed: here it pays the order.
    assert insecure[0] == 204
    assert store.get_order(ORDER).status == "SUCCESS"


def test_business_checks_stop_one_fen_payment(store, verifier, platform):
    cheap = paid_notification(platform, amount_total=1)

    secure = make_handler(store, verifier).handle_notification(*cheap)
    assert secure[0] == 400

    insecure = make_handler(store, verifier, Defences(business_checks=False)).handle_notification(*cheap)
    assert insecure[0] == 204
    assert store.get_order(ORDER).status == "SUCCESS"


def test_exactly_once_off_repeats_side_effect(store, verifier, platform):
    handler = make_handler(store, verifier, Defences(exactly_once=False))
    headers, body = paid_notification(platform)

    statuses = [handler.handle_notification(headers, body)[0] for _ in range(3)]

    assert statuses == [204, 204, 204]
    assert store.get_order(ORDER).side_effects == 3
    assert {row["outcome"] for row in store.processed(ORDER)} == {"APPLIED_UNGUARDED"}


def test_trust_client_report_switch(store, verifier):
    secure = Merchant(store, make_handler(store, verifier), platform=None)
    result = secure.client_report(ORDER, "SUCCESS")
    assert result["order"]["status"] == "NOTPAY"
    assert result["query"] == "FAILED:NO_PLATFORM"
    assert store.client_reports(ORDER)[0]["claimed_status"] == "SUCCESS"

    insecure = Merchant(store, make_handler(store, verifier, Defences(trust_client_report=True)), platform=None)
    result = insecure.client_report(ORDER, "SUCCESS")
    assert result["order"]["status"] == "SUCCESS"
    assert result["order"]["side_effects"] == 1


@pytest.mark.parametrize("switch", [name for name in Defences.__dataclass_fields__])
def test_switched_off_defence_logs_warning(store, verifier, platform, caplog, switch):
    value = not getattr(Defences(), switch)
    handler = make_handler(store, verifier, Defences(**{switch: value}))

    with caplog.at_level(logging.WARNING, logger="wxpay_lesson.merchant.handler"):
        handler.handle_notification(*paid_notification(platform))

    warnings = [record.getMessage() for record in caplog.records if "INSECURE DEMO MODE" in record.getMessage()]
    assert warnings
    assert switch in warnings[0]


def test_all_defences_on_logs_no_insecure_warning(store, verifier, platform, caplog):
    with caplog.at_level(logging.WARNING):
        make_handler(store, verifier).handle_notification(*paid_notification(platform))

    assert not any("INSECURE" in record.getMessage() for record in caplog.records)


# ---------------------------------------------------------------- faults and reply semantics


def test_processing_failure_replies_500_and_stores_nothing(store, verifier, platform):
    handler = make_handler(store, verifier, faults=FaultPlan(failed_processing=1))
    notification = paid_notification(platform)

    first = handler.handle_notification(*notification)
    assert first[0] == 500
    assert store.get_order(ORDER).status == "NOTPAY"
    assert store.processed() == []

    retry = handler.handle_notification(*notification)
    assert retry[0] == 204
    assert store.get_order(ORDER).side_effects == 1


def test_failure_reply_200_fault_hides_failure(store, verifier, platform):
    handler = make_handler(store, verifier, faults=FaultPlan(failed_processing=1, failure_reply_200=True))

    status, _, body = handler.handle_notification(*paid_notification(platform))

    assert status == 200
    assert b'"code":"FAIL"' in body
    assert store.get_order(ORDER).status == "NOTPAY"


# ---------------------------------------------------------------- refunds


def refund_notification(platform: SimulatedPlatform, amount: int, *, out_refund_no: str = "R-0001",
                        notification_id: str = "EV-REFUND-0001") -> tuple[dict[str, str], bytes]:
    resource = platform.refund(ORDER, out_refund_no, 9900, amount, transaction_id=TRANSACTION_ID)
    return platform.notify(resource, event_type="REFUND.SUCCESS", timestamp=NOW, notification_id=notification_id)


def test_refund_notification_updates_refund_state_once(store, verifier, platform):
    handler = make_handler(store, verifier)
    handler.handle_notification(*paid_notification(platform))
    refund = refund_notification(platform, 2000)

    statuses = [handler.handle_notification(*refund)[0] for _ in range(2)]

    order = store.get_order(ORDER)
    assert statuses == [204, 204]
    assert order.status == "REFUND"
    assert order.refund_status == "SUCCESS"
    assert order.refunded_total == 2000
    assert order.side_effects == 2


def test_refund_beyond_amount_rejected(store, verifier, platform):
    handler = make_handler(store, verifier)
    handler.handle_notification(*paid_notification(platform))
    handler.handle_notification(*refund_notification(platform, 9000))

    status, _, _ = handler.handle_notification(
        *refund_notification(platform, 1000, out_refund_no="R-0002", notification_id="EV-REFUND-0002"))

    assert status == 400
    assert store.get_order(ORDER).refunded_total == 9000
    assert store.rejections()[-1]["field"] == "amount.refund"


def test_refund_for_unpaid_order_rejected(store, verifier, platform):
    status, _, _ = make_handler(store, verifier).handle_notification(*refund_notification(platform, 100))

    assert status == 400
    assert store.get_order(ORDER).status == "NOTPAY"
    assert store.get_order(ORDER).refunded_total == 0


def test_unexpected_error_replies_500(store, verifier, platform):
    handler = make_handler(store, verifier)

    status, _, body = handler.handle_notification(*paid_notification(platform)[:1], "not bytes")

    assert status == 500
    assert b'"code":"FAIL"' in body
    assert store.get_order(ORDER).status == "NOTPAY"


def test_concurrent_threads_apply_payment_once(store, verifier, platform):
    import threading

    handler = make_handler(store, verifier)
    notification = paid_notification(platform)
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait(timeout=10)
        statuses.append(handler.handle_notification(*notification)[0])

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [204] * 16
    assert store.get_order(ORDER).side_effects == 1
    assert [row["outcome"] for row in store.processed(ORDER)].count("APPLIED") == 1
