"""The merchant's HTTP client for the (simulated) WeChat Pay API: prepay and order query.

An order-query reply is signed by WeChat Pay with the same Wechatpay-* headers as a
callback, over `timestamp\\nnonce\\nbody\\n` of the raw reply body, but its body is plain
JSON rather than an encrypted envelope. `query_order` verifies that signature with the
verifier's own steps before it returns anything, so only a verified reply can change an
order.

NOTE: the real API also requires the merchant to sign each request (an Authorization
header made with the merchant API private key). The simulated platform does not check
it, so this client does not send it.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..errors import CallbackError, SignatureProbeError
from ..notification import CallbackVerifier, Transaction, parse_headers, parse_json_object
from ..signature import build_message, verify_signature

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_REPLY_BYTES = 1 << 20


class PlatformRequestError(Exception):
    """A call to the WeChat Pay API failed: no connection, or a non-2xx reply.

    Attributes:
        status: the HTTP status, or None when there was no reply.
        code: the `code` field of WeChat Pay's error body, when there was one.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class PlatformClient:
    """Call the WeChat Pay API at `base_url` as merchant `mchid`.

    Args:
        base_url: e.g. `http://127.0.0.1:8001` for the simulated platform.
        verifier: verifies the signature of query replies with WeChat Pay's keys.
        mchid: our merchant id.
        appid: our app id, sent with prepay requests.
        timeout: seconds to wait for each reply.
    """

    def __init__(self, base_url: str, verifier: CallbackVerifier, *, mchid: str, appid: str,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"platform URL must be http:// or https:// with a host; got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.verifier = verifier
        self.mchid = mchid
        self.appid = appid
        self.timeout = timeout

    def create_prepay(self, out_trade_no: str, description: str, amount_total: int, currency: str,
                      notify_url: str) -> str:
        """Create a JSAPI prepay order and return its prepay_id.

        Raises:
            PlatformRequestError: the platform could not be reached or rejected the order.
        """
        payload = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": amount_total, "currency": currency},
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        }
        status, _, body = self._request("POST", "/v3/pay/transactions/jsapi", json.dumps(payload).encode("utf-8"))
        data = _json_or_error(status, body, "prepay")
        prepay_id = data.get("prepay_id")
        if not isinstance(prepay_id, str):
            raise PlatformRequestError("prepay reply has no prepay_id", status=status)
        return prepay_id

    def query_order(self, out_trade_no: str) -> Transaction:
        """Query an order by out_trade_no and return the verified transaction.

        Raises:
            PlatformRequestError: no reply, or a non-2xx reply (ORDER_NOT_EXIST, ...).
            CallbackError: the reply's signature, timestamp or serial failed verification,
                or its body is not a transaction.
        """
        path = (f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(out_trade_no, safe='')}"
                f"?mchid={urllib.parse.quote(self.mchid)}")
        status, headers, body = self._request("GET", path, None)
        self.verify_reply(headers, body)
        data = _json_or_error(status, body, "order query")
        return Transaction.from_resource(data)

    def verify_reply(self, headers: dict[str, str], body: bytes) -> None:
        """Verify the Wechatpay-* signature of an API reply over its raw body.

        Raises:
            CallbackError: a subclass naming the failed check.
        """
        parsed = parse_headers(headers)

        self.verifier.check_signature_type(parsed.signature_type)

        self.verifier.check_timestamp(parsed.timestamp)

        key = self.verifier.key_for(parsed.serial)

        if parsed.is_probe:
            raise SignatureProbeError("the reply carries a WECHATPAY/SIGNTEST/ probe signature")

        verify_signature(key.public_key, build_message(parsed.timestamp, parsed.nonce, body), parsed.signature)

    def _request(self, method: str, path: str, data: bytes | None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, dict(response.headers.items()), response.read(MAX_REPLY_BYTES)
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read(MAX_REPLY_BYTES)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PlatformRequestError(f"{method} {path.split('?')[0]} failed: {reason}") from None


def _json_or_error(status: int, body: bytes, what: str) -> dict[str, Any]:
    try:
        data = parse_json_object(body, f"{what} reply")
    except CallbackError:
        raise PlatformRequestError(f"{what} reply with status {status} is not a JSON object", status=status) from None
    if not 200 <= status < 300:
        code = data.get("code") if isinstance(data.get("code"), str) else None
        message = str(data.get("message", ""))[:200]
        raise PlatformRequestError(f"{what} failed with status {status}: {code} {message}".rstrip(),
                                   status=status, code=code)
    return data
