"""The merchant's order store on SQLite: orders, processed notifications, rejections.

Several merchant processes may share one database file, and WeChat Pay may deliver the
same notification to all of them at once. Every state change therefore runs in one
`BEGIN IMMEDIATE` transaction (which takes SQLite's write lock before the first read),
checks the notification id against the processed notifications, and moves the order
with a conditional `UPDATE ... WHERE status = 'NOTPAY'`. A partial unique index allows
one APPLIED row per notification id, and `orders.transaction_id` is unique. The side
effect (a row in `side_effects`, standing for fulfilment or a ledger entry) is written
in the same transaction, so it happens exactly once or not at all.

The database runs in WAL mode with a busy timeout, so readers never block the writer
and a writer waits for the lock instead of failing at once.

Nothing in this store holds a request body, a key or a decrypted plaintext.
"""

from __future__ import annotations

import datetime
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from ..errors import BusinessMismatchError
from ..notification import Refund, Transaction

MEMORY = ":memory:"
DEFAULT_BUSY_TIMEOUT_SECONDS = 10.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    out_trade_no   TEXT PRIMARY KEY,
    description    TEXT NOT NULL,
    amount_total   INTEGER NOT NULL CHECK (amount_total > 0),
    currency       TEXT NOT NULL DEFAULT 'CNY',
    status         TEXT NOT NULL DEFAULT 'NOTPAY'
                   CHECK (status IN ('NOTPAY', 'SUCCESS', 'CLOSED', 'REFUND')),
    transaction_id TEXT UNIQUE,
    paid_at        TEXT,
    refund_status  TEXT,
    refunded_total INTEGER NOT NULL DEFAULT 0,
    prepay_id      TEXT,
    created_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS processed_notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    out_trade_no    TEXT,
    outcome         TEXT NOT NULL,
    received_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS processed_notifications_applied_once
    ON processed_notifications (notification_id) WHERE outcome = 'APPLIED';
CREATE TABLE IF NOT EXISTS refunds (
    out_refund_no  TEXT PRIMARY KEY,
    out_trade_no   TEXT NOT NULL REFERENCES orders (out_trade_no),
    refund_id      TEXT,
    amount_refund  INTEGER NOT NULL,
    status         TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS side_effects (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    out_trade_no    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    source_id       TEXT,
    created_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    out_trade_no    TEXT NOT NULL,
    claimed_status  TEXT,
    query_outcome   TEXT,
    received_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejections (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at     TEXT NOT NULL,
    code            TEXT NOT NULL,
    field           TEXT,
    serial          TEXT,
    notification_id TEXT,
    remote_addr     TEXT
);
"""


class Outcome(str, Enum):
    """The result of applying one notification or query result to the store."""

    APPLIED = "APPLIED"
    DUPLICATE = "DUPLICATE"
    # Written only with the exactly_once defence off: applied with no dedupe or condition.
    APPLIED_UNGUARDED = "APPLIED_UNGUARDED"
    IGNORED = "IGNORED"


@dataclass(frozen=True)
class Order:
    """One stored order. Amounts are int fen; `side_effects` counts applied side effects."""

    out_trade_no: str
    description: str
    amount_total: int
    currency: str
    status: str
    transaction_id: str | None
    paid_at: str | None
    refund_status: str | None
    refunded_total: int
    prepay_id: str | None
    created_at: str
    side_effects: int

    def to_json(self) -> dict[str, Any]:
        """Return the order as the HTTP API shows it."""
        return {
            "out_trade_no": self.out_trade_no,
            "description": self.description,
            "amount": {"total": self.amount_total, "currency": self.currency},
            "status": self.status,
            "transaction_id": self.transaction_id,
            "paid_at": self.paid_at,
            "refund": {"status": self.refund_status, "refunded_total": self.refunded_total},
            "prepay_id": self.prepay_id,
            "side_effects": self.side_effects,
        }


class OrderNotFoundError(LookupError):
    """No order has the given out_trade_no."""

    def __init__(self, out_trade_no: str) -> None:
        super().__init__(f"order {out_trade_no[:64]!r} not found; create it with POST /orders first")
        self.out_trade_no = out_trade_no


class DuplicateOrderError(ValueError):
    """An order with this out_trade_no already exists."""

    def __init__(self, out_trade_no: str) -> None:
        super().__init__(f"order {out_trade_no[:64]!r} already exists; out_trade_no must be unique")
        self.out_trade_no = out_trade_no


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 text with seconds."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


class OrderStore:
    """The merchant's orders and callback records in one SQLite database.

    Args:
        path: a database file (created with its tables if missing) or `:memory:`.
            A file may be shared by several processes; `:memory:` lives in this object
            only and is meant for unit tests.
        busy_timeout: seconds a writer waits for another writer's lock before failing
            with `sqlite3.OperationalError`.
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._memory_lock = threading.RLock()
        self._memory_connection: sqlite3.Connection | None = None
        if self.path == MEMORY:
            self._memory_connection = self._open()
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.executescript(SCHEMA)

    def __repr__(self) -> str:
        return f"OrderStore({self.path!r})"

    # ------------------------------------------------------------ connections

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions, so BEGIN IMMEDIATE is ours to issue.
        db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        if self.path != MEMORY:
            db.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable against a killed process in WAL mode; only a power loss
            # may lose the last commits.
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._memory_connection is not None:
            with self._memory_lock:
                yield self._memory_connection
            return
        db = self._open()
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one BEGIN IMMEDIATE transaction; roll back on any exception."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ------------------------------------------------------------ orders

    def create_order(self, out_trade_no: str, description: str, amount_total: int, currency: str = "CNY") -> Order:
        """Insert a new NOTPAY order.

        Raises:
            ValueError: the amount is not a positive int number of fen.
            DuplicateOrderError: the out_trade_no is taken.
        """
        if isinstance(amount_total, bool) or not isinstance(amount_total, int) or amount_total <= 0:
            raise ValueError(f"amount_total must be a positive integer number of fen; got {amount_total!r}")
        with self._write() as db:
            try:
                db.execute(
                    "INSERT INTO orders (out_trade_no, description, amount_total, currency, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (out_trade_no, description, amount_total, currency, utc_now()),
                )
            except sqlite3.IntegrityError:
                raise DuplicateOrderError(out_trade_no) from None
        return self.get_order(out_trade_no)

    def set_prepay_id(self, out_trade_no: str, prepay_id: str) -> None:
        """Store the prepay_id that the platform returned for an order."""
        with self._write() as db:
            db.execute("UPDATE orders SET prepay_id = ? WHERE out_trade_no = ?", (prepay_id, out_trade_no))

    def find_order(self, out_trade_no: str) -> Order | None:
        """Return the order, or None when there is none with this out_trade_no."""
        with self._connection() as db:
            row = db.execute(
                "SELECT o.*, (SELECT COUNT(*) FROM side_effects s WHERE s.out_trade_no = o.out_trade_no) "
                "AS side_effect_count FROM orders o WHERE o.out_trade_no = ?",
                (out_trade_no,),
            ).fetchone()
        if row is None:
            return None
        return Order(
            out_trade_no=row["out_trade_no"],
            description=row["description"],
            amount_total=row["amount_total"],
            currency=row["currency"],
            status=row["status"],
            transaction_id=row["transaction_id"],
            paid_at=row["paid_at"],
            refund_status=row["refund_status"],
            refunded_total=row["refunded_total"],
            prepay_id=row["prepay_id"],
            created_at=row["created_at"],
            side_effects=row["side_effect_count"],
        )

    def get_order(self, out_trade_no: str) -> Order:
        """Return the order.

        Raises:
            OrderNotFoundError: no order has this out_trade_no.
        """
        order = self.find_order(out_trade_no)
        if order is None:
            raise OrderNotFoundError(out_trade_no)
        return order

    # ------------------------------------------------------------ payments

    def apply_payment(self, transaction: Transaction, *, source_id: str, event_type: str,
                      guarded: bool = True) -> Outcome:
        """Mark an order paid and write its side effect, exactly once.

        Call this only after the transaction has been verified and has passed the
        business checks.

        Args:
            transaction: the verified transaction.
            source_id: the notification id; for an active order query, `query:` followed
                by the transaction_id.
            event_type: the notification's event type, or `ORDER_QUERY`.
            guarded: False only when the exactly_once defence is switched off for a
                demo. The order is then updated unconditionally and the side effect runs
                again on every delivery.

        Returns:
            APPLIED when this call moved the order to SUCCESS; DUPLICATE when the same
            notification or the same transaction was applied before (no side effect);
            APPLIED_UNGUARDED when `guarded` is False.

        Raises:
            BusinessMismatchError: the order is CLOSED, or already paid by another
                transaction_id; nothing is written.
        """
        if not guarded:
            return self._apply_payment_unguarded(transaction, source_id=source_id, event_type=event_type)

        now = utc_now()
        with self._write() as db:
            seen = db.execute(
                "SELECT 1 FROM processed_notifications WHERE notification_id = ? AND outcome = 'APPLIED'",
                (source_id,),
            ).fetchone()
            if seen is not None:
                self._record_processed(db, source_id, event_type, transaction.out_trade_no, Outcome.DUPLICATE, now)
                return Outcome.DUPLICATE

            try:
                updated = db.execute(
                    "UPDATE orders SET status = 'SUCCESS', transaction_id = ?, paid_at = ? "
                    "WHERE out_trade_no = ? AND status = 'NOTPAY'",
                    (transaction.transaction_id, transaction.success_time or now, transaction.out_trade_no),
                ).rowcount
            except sqlite3.IntegrityError:
                raise BusinessMismatchError(
                    "transaction_id", "transaction_id is already stored on another order; nothing was applied"
                ) from None

            if updated == 1:
                self._add_side_effect(db, transaction.out_trade_no, "fulfilment", source_id, now)
                self._record_processed(db, source_id, event_type, transaction.out_trade_no, Outcome.APPLIED, now)
                return Outcome.APPLIED

            row = db.execute(
                "SELECT status, transaction_id FROM orders WHERE out_trade_no = ?", (transaction.out_trade_no,)
            ).fetchone()
            if row is None:
                raise BusinessMismatchError(
                    "out_trade_no", f"out_trade_no {transaction.out_trade_no[:64]!r} is not an order of ours"
                )
            if row["status"] in ("SUCCESS", "REFUND") and row["transaction_id"] == transaction.transaction_id:
                self._record_processed(db, source_id, event_type, transaction.out_trade_no, Outcome.DUPLICATE, now)
                return Outcome.DUPLICATE
            if row["status"] == "CLOSED":
                raise BusinessMismatchError(
                    "status", "the order is CLOSED but the transaction is paid; refund it by hand"
                )
            raise BusinessMismatchError(
                "transaction_id", "the order was already paid by a different transaction_id; nothing was applied"
            )

    def _apply_payment_unguarded(self, transaction: Transaction, *, source_id: str, event_type: str) -> Outcome:
        # The insecure demo path: read-then-write with no lock, no dedupe and no condition.
        now = utc_now()
        with self._connection() as db:
            db.execute(
                "UPDATE orders SET status = 'SUCCESS', transaction_id = ?, paid_at = ? WHERE out_trade_no = ?",
                (transaction.transaction_id, transaction.success_time or now, transaction.out_trade_no),
            )
            self._add_side_effect(db, transaction.out_trade_no, "fulfilment", source_id, now)
            self._record_processed(db, source_id, event_type, transaction.out_trade_no, Outcome.APPLIED_UNGUARDED, now)
        return Outcome.APPLIED_UNGUARDED

    def mark_paid_without_verification(self, out_trade_no: str, source_id: str) -> Outcome:
        """Mark an order paid on the client's word alone: the trust_client_report demo bug."""
        now = utc_now()
        with self._write() as db:
            updated = db.execute(
                "UPDATE orders SET status = 'SUCCESS', paid_at = ? WHERE out_trade_no = ? AND status = 'NOTPAY'",
                (now, out_trade_no),
            ).rowcount
            if updated != 1:
                return Outcome.DUPLICATE
            self._add_side_effect(db, out_trade_no, "fulfilment", source_id, now)
            self._record_processed(db, source_id, "CLIENT_REPORT", out_trade_no, Outcome.APPLIED, now)
        return Outcome.APPLIED

    # ------------------------------------------------------------ refunds

    def apply_refund(self, refund: Refund, *, source_id: str, event_type: str, guarded: bool = True) -> Outcome:
        """Record a verified refund notification and update the order's refund state.

        REFUND.SUCCESS adds the refund amount once per out_refund_no and moves the order
        to REFUND. REFUND.ABNORMAL and REFUND.CLOSED only record the refund's state.

        Raises:
            BusinessMismatchError: the order is not paid, or the refund exceeds what is
                left to refund; nothing is written.
        """
        now = utc_now()
        with self._write() as db:
            if guarded:
                # A redelivered notification is a duplicate even if a later one changed
                # the refund's state since; applying it again would roll the state back.
                applied = db.execute(
                    "SELECT 1 FROM processed_notifications WHERE notification_id = ? AND outcome = 'APPLIED'",
                    (source_id,),
                ).fetchone()
                if applied is not None:
                    self._record_processed(db, source_id, event_type, refund.out_trade_no, Outcome.DUPLICATE, now)
                    return Outcome.DUPLICATE
                seen = db.execute(
                    "SELECT status FROM refunds WHERE out_refund_no = ?", (refund.out_refund_no,)
                ).fetchone()
                if seen is not None and seen["status"] == refund.refund_status:
                    self._record_processed(db, source_id, event_type, refund.out_trade_no, Outcome.DUPLICATE, now)
                    return Outcome.DUPLICATE
                if seen is not None and seen["status"] == "SUCCESS":
                    # A finished refund never goes back to ABNORMAL or CLOSED.
                    self._record_processed(db, source_id, event_type, refund.out_trade_no, Outcome.DUPLICATE, now)
                    return Outcome.DUPLICATE

            order = db.execute(
                "SELECT status, amount_total, refunded_total FROM orders WHERE out_trade_no = ?",
                (refund.out_trade_no,),
            ).fetchone()
            if order is None:
                raise BusinessMismatchError("out_trade_no", f"out_trade_no {refund.out_trade_no[:64]!r} is not an order of ours")
            if order["status"] not in ("SUCCESS", "REFUND"):
                raise BusinessMismatchError("status", f"a refund arrived for an order in state {order['status']}")

            success = refund.refund_status == "SUCCESS"
            if success and guarded and order["refunded_total"] + refund.amount_refund > order["amount_total"]:
                raise BusinessMismatchError(
                    "amount.refund",
                    f"refund of {refund.amount_refund} fen exceeds the {order['amount_total'] - order['refunded_total']} "
                    "fen left to refund",
                )

            db.execute(
                "INSERT INTO refunds (out_refund_no, out_trade_no, refund_id, amount_refund, status, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (out_refund_no) DO UPDATE SET status = excluded.status, "
                "refund_id = excluded.refund_id, updated_at = excluded.updated_at",
                (refund.out_refund_no, refund.out_trade_no, refund.refund_id, refund.amount_refund,
                 refund.refund_status, now),
            )
            if success:
                db.execute(
                    "UPDATE orders SET status = 'REFUND', refund_status = 'SUCCESS', "
                    "refunded_total = refunded_total + ? WHERE out_trade_no = ?",
                    (refund.amount_refund, refund.out_trade_no),
                )
                self._add_side_effect(db, refund.out_trade_no, "refund", source_id, now)
            else:
                db.execute(
                    "UPDATE orders SET refund_status = ? WHERE out_trade_no = ?",
                    (refund.refund_status, refund.out_trade_no),
                )
            outcome = Outcome.APPLIED if guarded else Outcome.APPLIED_UNGUARDED
            self._record_processed(db, source_id, event_type, refund.out_trade_no, outcome, now)
        return outcome

    # ------------------------------------------------------------ records

    @staticmethod
    def _add_side_effect(db: sqlite3.Connection, out_trade_no: str, kind: str, source_id: str, now: str) -> None:
        db.execute(
            "INSERT INTO side_effects (out_trade_no, kind, source_id, created_at) VALUES (?, ?, ?, ?)",
            (out_trade_no, kind, source_id, now),
        )

    @staticmethod
    def _record_processed(db: sqlite3.Connection, notification_id: str, event_type: str, out_trade_no: str | None,
                          outcome: Outcome, now: str) -> None:
        db.execute(
            "INSERT INTO processed_notifications (notification_id, event_type, out_trade_no, outcome, received_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (notification_id, event_type, out_trade_no, outcome.value, now),
        )

    def record_ignored(self, notification_id: str, event_type: str) -> None:
        """Record a verified notification of an event type this merchant does not process."""
        with self._write() as db:
            self._record_processed(db, notification_id, event_type, None, Outcome.IGNORED, utc_now())

    def record_rejection(self, code: str, *, field: str | None = None, serial: str | None = None,
                         notification_id: str | None = None, remote_addr: str | None = None) -> None:
        """Log one rejected callback: its error code and ids, never its body."""
        with self._write() as db:
            db.execute(
                "INSERT INTO rejections (received_at, code, field, serial, notification_id, remote_addr) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (utc_now(), code, field, _clip(serial, 80), _clip(notification_id, 64), _clip(remote_addr, 64)),
            )

    def add_client_report(self, out_trade_no: str, claimed_status: str | None) -> int:
        """Store the client's "I paid" claim and return its id. The order is not touched."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO client_reports (out_trade_no, claimed_status, received_at) VALUES (?, ?, ?)",
                (out_trade_no, _clip(claimed_status, 32), utc_now()),
            )
            return int(cursor.lastrowid or 0)

    def set_client_report_outcome(self, report_id: int, query_outcome: str) -> None:
        """Store what the active order query found for a client report."""
        with self._write() as db:
            db.execute("UPDATE client_reports SET query_outcome = ? WHERE id = ?", (query_outcome[:80], report_id))

    # ------------------------------------------------------------ read-back for tests and notebooks

    def processed(self, out_trade_no: str | None = None) -> list[dict[str, Any]]:
        """Return the processed-notification rows, oldest first, optionally for one order."""
        return self._rows("processed_notifications", out_trade_no)

    def side_effects(self, out_trade_no: str | None = None) -> list[dict[str, Any]]:
        """Return the side-effect rows, oldest first, optionally for one order."""
        return self._rows("side_effects", out_trade_no)

    def client_reports(self, out_trade_no: str | None = None) -> list[dict[str, Any]]:
        """Return the stored client reports, oldest first, optionally for one order."""
        return self._rows("client_reports", out_trade_no)

    def rejections(self) -> list[dict[str, Any]]:
        """Return the rejection log, oldest first."""
        with self._connection() as db:
            return [dict(row) for row in db.execute("SELECT * FROM rejections ORDER BY id")]

    def orders(self) -> list[Order]:
        """Return every order, oldest first."""
        with self._connection() as db:
            numbers = [row[0] for row in db.execute("SELECT out_trade_no FROM orders ORDER BY created_at, out_trade_no")]
        return [self.get_order(number) for number in numbers]

    def _rows(self, table: str, out_trade_no: str | None) -> list[dict[str, Any]]:
        with self._connection() as db:
            if out_trade_no is None:
                rows = db.execute(f"SELECT * FROM {table} ORDER BY id")
            else:
                rows = db.execute(f"SELECT * FROM {table} WHERE out_trade_no = ? ORDER BY id", (out_trade_no,))
            return [dict(row) for row in rows]


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]
