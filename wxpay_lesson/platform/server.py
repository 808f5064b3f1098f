"""Run the simulated WeChat Pay service on a real threaded HTTP server.

    with PlatformServer(time_scale=0.001) as platform:
        platform.url                  # http://127.0.0.1:<port chosen by the OS>
        job = platform.service.pay("ORDER-1")
        job.wait(5)

It binds 127.0.0.1 by default.
"""

from __future__ import annotations

from ..merchant.server import LOOPBACK, BackgroundServer
from ..simulator import SimulatedPlatform
from .delivery import Attempt, DeliveryJob
from .service import PlatformService, create_platform_app


class PlatformServer(BackgroundServer):
    """The simulated WeChat Pay service on a real HTTP server, usable from notebooks and tests.

    Args:
        time_scale: multiplies WeChat Pay's retry intervals (1.0 is real time).
        reply_deadline: seconds a merchant has to reply; by default 5 s times
            `time_scale`, at least 0.5 s.
        host: address to bind; loopback by default.
        port: port to bind; 0 lets the OS choose.
        platform: the signing platform; the fixed test keys by default.

    Attributes:
        service: the `PlatformService`, to pay, refund and read the attempt log from Python.
    """

    def __init__(self, *, time_scale: float = 1.0, reply_deadline: float | None = None, host: str = LOOPBACK,
                 port: int = 0, platform: SimulatedPlatform | None = None) -> None:
        self.service = PlatformService(platform, time_scale=time_scale, reply_deadline=reply_deadline)
        super().__init__(create_platform_app(self.service), host=host, port=port, name="platform")

    def pay(self, out_trade_no: str, *, deliver: bool = True) -> DeliveryJob | None:
        """Mark an order paid and deliver its callback; see `PlatformService.pay`."""
        return self.service.pay(out_trade_no, deliver=deliver)

    def attempts(self, out_trade_no: str | None = None) -> list[Attempt]:
        """Return the delivery attempt log, optionally for one order."""
        return self.service.delivery.attempts(out_trade_no)

    def stop(self) -> None:
        """Stop pending deliveries, then stop serving."""
        self.service.delivery.stop()
        super().stop()

    def __enter__(self) -> PlatformServer:
        self.start()
        return self
