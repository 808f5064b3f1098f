"""The attack lab's target: the loopback-only rule, a small HTTP client and log capture.

The lab attacks only the learner's own merchant server on this machine. Every target
URL passes `check_loopback_target` first, which accepts a literal loopback address
(127.0.0.0/8 or ::1) or the name `localhost` and rejects everything else without a DNS
lookup, so a name that merely resolves to 127.0.0.1 is rejected too.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_REPLY_BYTES = 1 << 20


class TargetNotLoopbackError(ValueError):
    """The target URL is not an http:// URL on a loopback address.

    Attributes:
        url: the rejected URL.
        host: the host part, or None when the URL has none.
        part: which part is wrong: `url`, `scheme`, `host`, `credentials`, `port` or `path`.
    """

    def __init__(self, url: str, host: str | None, reason: str, *, part: str) -> None:
        super().__init__(reason)
        self.url = url
        self.host = host
        self.part = part


@dataclass(frozen=True)
class Target:
    """A checked merchant server on loopback.

    Attributes:
        base_url: e.g. `http://127.0.0.1:54321`.
        host: the literal host, without brackets.
        port: the TCP port.
    """

    base_url: str
    host: str
    port: int

    @property
    def notify_url(self) -> str:
        """The merchant's notify_url."""
        return self.base_url + "/notify"


def is_loopback_host(host: str) -> bool:
    """Return whether `host` is `localhost` or a literal address in 127.0.0.0/8 or ::1.

    No name is resolved: `localhost.example.com` or a DNS name pointing at 127.0.0.1
    returns False. Only the dotted-quad form of IPv4 counts, so `2130706433` or
    `127.1` (forms some resolvers accept) return False.
    """
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return False
    return address.is_loopback


def check_loopback_target(url: str) -> Target:
    """Parse a target URL and return it as a `Target`, or raise if it is not on loopback.

    The URL is the merchant's base URL or its notify_url (a path ending in /notify);
    anything after the host and port other than `/notify` is rejected.

    Raises:
        TargetNotLoopbackError: the scheme is not http, the host is not loopback, the
            port is missing or invalid, or the path is not empty or /notify.
    """
    if not isinstance(url, str) or not url:
        raise TargetNotLoopbackError(str(url), None, "the target URL is empty; use http://127.0.0.1:PORT/notify",
                                     part="url")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http":
        raise TargetNotLoopbackError(
            url, parsed.hostname, f"the target must be an http:// URL on loopback; got scheme {parsed.scheme!r}",
            part="scheme",
        )
    host = parsed.hostname
    if not host:
        raise TargetNotLoopbackError(url, None, f"the target URL {url!r} has no host; use http://127.0.0.1:PORT/notify",
                                     part="host")
    if parsed.username is not None or parsed.password is not None:
        raise TargetNotLoopbackError(url, host, "the target URL must not carry a user name or password",
                                     part="credentials")
    if not is_loopback_host(host):
        raise TargetNotLoopbackError(
            url, host,
            f"refusing target host {host!r}: the attack lab only attacks a server on this machine "
            "(127.0.0.0/8, ::1 or localhost). Start your own merchant server on loopback and target it",
            part="host",
        )
    try:
        port = parsed.port
    except ValueError:
        raise TargetNotLoopbackError(url, host, f"the port in {url!r} is not a number from 1 to 65535",
                                     part="port") from None
    if port is None or port == 0:
        raise TargetNotLoopbackError(url, host, f"the target URL {url!r} has no port; use http://127.0.0.1:PORT/notify",
                                     part="port")
    path = parsed.path.rstrip("/")
    if path not in ("", "/notify") or parsed.query or parsed.fragment:
        raise TargetNotLoopbackError(
            url, host, f"the target path must be /notify or empty; got {parsed.path!r}", part="path"
        )
    literal = f"[{host}]" if ":" in host else host
    return Target(base_url=f"http://{literal}:{port}", host=host, port=port)


@dataclass(frozen=True)
class Reply:
    """One HTTP reply from the merchant server. `body` is at most MAX_REPLY_BYTES."""

    status: int
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None


class TargetClient:
    """Send requests to one `Target` over plain HTTP/1.1, never through a proxy.

    `http.client` is used directly, so HTTP_PROXY and similar settings cannot send the
    traffic anywhere but the checked loopback address.
    """

    def __init__(self, target: Target, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.target = target
        self.timeout = timeout

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Reply:
        """Send one request and return the reply.

        Raises:
            ConnectionError: the server could not be reached or closed the connection
                without a reply (OSError subclasses, as `http.client` raises them).
        """
        connection = http.client.HTTPConnection(self.target.host, self.target.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Reply(response.status, response.read(MAX_REPLY_BYTES))
        finally:
            connection.close()

    def post_json(self, path: str, payload: Any) -> Reply:
        """POST a JSON document."""
        return self.request("POST", path, json.dumps(payload).encode("utf-8"), {"Content-Type": "application/json"})

    def notify(self, headers: Mapping[str, str], body: bytes) -> Reply:
        """POST raw bytes to /notify with the given headers."""
        sent = {"Content-Type": "application/json", **headers}
        return self.request("POST", "/notify", body, sent)


class ServerLogCapture(logging.Handler):
    """Collect the log lines of the kit's own loggers while it is installed.

    With the merchant server running in this process, its handler's log lines (the
    rejection code, the INSECURE DEMO MODE warning) end up here instead of on stderr.
    A server in another process logs elsewhere, and the capture stays empty.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []
        self._lines_lock = threading.Lock()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self._lines_lock:
            self.lines.append(line)

    def take(self) -> list[str]:
        """Return the lines collected since the last call and forget them."""
        with self._lines_lock:
            collected, self.lines = self.lines, []
        return collected


@contextmanager
def capture_server_log(logger_name: str = "wxpay_lesson") -> Iterator[ServerLogCapture]:
    """Install a `ServerLogCapture` on the kit's logger for the duration of a block.

    While installed, records of `wxpay_lesson.*` at INFO and above are kept in the
    capture, so they do not reach Python's last-resort stderr handler. Handlers that
    the caller configured still receive them.
    """
    capture = ServerLogCapture()
    logger = logging.getLogger(logger_name)
    previous_level = logger.level
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(capture)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous_level)


__all__ = [
    "Reply",
    "ServerLogCapture",
    "Target",
    "TargetClient",
    "TargetNotLoopbackError",
    "capture_server_log",
    "check_loopback_target",
    "is_loopback_host",
]
