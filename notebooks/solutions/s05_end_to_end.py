"""Solutions to the *On your own* exercises of notebook 05, the whole payment loop.

tests/test_end_to_end_exercises.py proves that each function passes its check.
"""

from __future__ import annotations

import sqlite3

from wxpay_lesson import CallbackVerifier, Transaction, build_message, verify_signature
from wxpay_lesson.notification import parse_headers, parse_json_object


def apply_payment_once(db_path: str, out_trade_no: str, transaction_id: str) -> bool:
    """Pay a NOTPAY order and insert its fulfilment in one transaction; return whether this call did."""
    # isolation_level=None leaves BEGIN to us. BEGIN IMMEDIATE takes the write lock
    # before any read, so two callers cannot both see NOTPAY.
    db = sqlite3.connect(db_path, timeout=10, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        updated = db.execute(
            "UPDATE orders SET status = 'SUCCESS', transaction_id = ? WHERE out_trade_no = ? AND status = 'NOTPAY'",
            (transaction_id, out_trade_no),
        ).rowcount
        if updated == 1:
            db.execute("INSERT INTO fulfilments (out_trade_no) VALUES (?)", (out_trade_no,))
        db.execute("COMMIT")
        return updated == 1
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()


def verify_query_reply(headers: dict[str, str], body: bytes, verifier: CallbackVerifier) -> Transaction:
    """Verify an order-query reply's signature over its raw body and return its transaction."""
    parsed = parse_headers(headers)

    verifier.check_signature_type(parsed.signature_type)

    verifier.check_timestamp(parsed.timestamp)

    key = verifier.key_for(parsed.serial)

    verify_signature(key.public_key, build_message(parsed.timestamp, parsed.nonce, body), parsed.signature)

    return Transaction.from_resource(parse_json_object(body, "query reply"))
