"""Run the merchant app on a real threaded HTTP server, in a background thread or in the foreground.

`MerchantServer` is what notebooks and tests use:

    with MerchantServer("work/merchant.sqlite3", platform_url) as merchant:
        merchant.url          # http://127.0.0.1:<port chosen by the OS>
        merchant.notify_url   # merchant.url + "/notify"

It binds 127.0.0.1 by default, and port 0 lets the OS choose a free port.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server, select_address_family

from ..notification import CallbackVerifier
from ..simulator import SimulatedPlatform
from ..testkeys import load_test_keys
from .app import Merchant, create_app
from .defences import Defences
from .faults import FaultPlan
from .handler import NotificationHandler
from .platform_client import PlatformClient
from .store import OrderStore

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind and listen on host:port, allowing a restart to reuse the port at once.

    Raises:
        OSError: the address is in use or not an address of this machine.
    """
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


class BackgroundServer:
    """A Flask app on werkzeug's threaded WSGI server, served from a daemon thread.

    Each request runs in its own thread. `stop()` closes the listening socket, so the
    port refuses connections until the server starts again.
    """

    def __init__(self, app: Flask, *, host: str = LOOPBACK, port: int = 0, name: str = "server") -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.name = name
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321.

        Raises:
            RuntimeError: the server has not been started.
        """
        if self.port is None:
            raise RuntimeError(f"{self.name} is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._server is not None

    def start(self) -> BackgroundServer:
        """Bind the port and serve in a daemon thread. A restart reuses the same port."""
        if self._server is not None:
            return self
        port = self.port if self.port is not None else self.requested_port
        # werkzeug prints and calls sys.exit() when it cannot bind, which would end a
        # notebook kernel. Binding here first turns that into an OSError for the caller.
        listener = bind_listener(self.host, port)
        try:
            self._server = make_server(self.host, port, self.app, threaded=True, fd=listener.fileno())
        finally:
            listener.close()  # werkzeug serves on its own duplicate of the socket
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.name}:{self.port}", daemon=True)
        self._thread.start()
        logger.info("%s started on %s", self.name, self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = None
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        logger.info("%s stopped on port %s", self.name, self.port)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


class MerchantServer(BackgroundServer):
    """The merchant backend on a real HTTP server, usable from notebooks and tests.

    Args:
        db_path: the SQLite file (created if missing), or `:memory:`.
        platform_url: base URL of the WeChat Pay API (the simulated platform); None to
            run without prepay and without active queries.
        defences: defence switches; all on by default. Anything else is a demo.
        host: address to bind; loopback by default.
        port: port to bind; 0 lets the OS choose.
        faults: faults to inject into /notify replies; none by default.
        api_v3_key, public_keys, mchid, appid: the merchant's credentials; by default
            the fixed TEST-ONLY ones from data/test-keys/, matching the simulated platform.
        clock: the verifier's clock in Unix seconds.

    Attributes:
        store: the `OrderStore`, for reading results in tests and notebooks.
        merchant: the `Merchant` behind the HTTP app.
        faults: the live `FaultPlan`; replace it while the server runs.
    """

    def __init__(
        self,
        db_path: str | Path,
        platform_url: str | None = None,
        *,
        defences: Defences = Defences(),
        host: str = LOOPBACK,
        port: int = 0,
        faults: FaultPlan | None = None,
        api_v3_key: str | bytes | None = None,
        public_keys: Mapping[str, Any] | None = None,
        mchid: str | None = None,
        appid: str | None = None,
        clock: Any = None,
    ) -> None:
        keys = load_test_keys()
        if public_keys is None:
            public_keys = SimulatedPlatform(keys).public_keys
        verifier_options = {"clock": clock} if clock is not None else {}
        verifier = CallbackVerifier(api_v3_key if api_v3_key is not None else keys.api_v3_key, public_keys,
                                    **verifier_options)
        self.mchid = mchid if mchid is not None else keys.mchid
        self.appid = appid if appid is not None else keys.appid
        self.store = OrderStore(db_path)
        handler = NotificationHandler(self.store, verifier, mchid=self.mchid, appid=self.appid,
                                      defences=defences, faults=faults)
        platform = (PlatformClient(platform_url, verifier, mchid=self.mchid, appid=self.appid)
                    if platform_url is not None else None)
        self.merchant = Merchant(self.store, handler, platform)
        super().__init__(create_app(self.merchant), host=host, port=port, name="merchant")
        if not defences.all_on:
            logger.warning("INSECURE DEMO MODE: merchant defences off: %s", ", ".join(defences.insecure_switches()))

    @property
    def defences(self) -> Defences:
        """The defence switches in force."""
        return self.merchant.defences

    @property
    def faults(self) -> FaultPlan:
        """The faults injected into /notify replies; assign a new `FaultPlan` at any time."""
        return self.merchant.handler.faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        self.merchant.handler.faults = plan

    @property
    def notify_url(self) -> str:
        """The notify_url that prepay requests carry."""
        return self.url + "/notify"

    def start(self) -> MerchantServer:
        """Bind the port, serve in a daemon thread, and tell the app its notify_url."""
        super().start()
        self.merchant.notify_url = self.notify_url
        return self

    def __enter__(self) -> MerchantServer:
        return self.start()
