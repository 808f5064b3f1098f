"""Shared fixtures: the fixed test platform, a fixed clock, and the published vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wxpay_lesson import CallbackVerifier, SimulatedPlatform

NOW = 1704074400  # 2024-01-01T10:00:00+08:00
VECTORS_PATH = Path(__file__).parent / "vectors" / "vectors.json"


def load_vectors() -> list[dict[str, Any]]:
    """Return every published vector, copied from the official SDKs' test suites."""
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))["vectors"]


@pytest.fixture
def platform() -> SimulatedPlatform:
    return SimulatedPlatform(clock=lambda: NOW)


@pytest.fixture
def verifier(platform: SimulatedPlatform) -> CallbackVerifier:
    return CallbackVerifier(platform.api_v3_key, platform.public_keys, clock=lambda: NOW)


@pytest.fixture
def signed(platform: SimulatedPlatform) -> tuple[dict[str, str], bytes]:
    """A genuine TRANSACTION.SUCCESS notification with fixed timestamp and nonces."""
    resource = platform.transaction("ORDER-20240101-0001", 9900, transaction_id="4200000000000000000000000001")
    return platform.notify(resource, timestamp=NOW, nonce="f" * 32, resource_nonce="Ab3dEf6hIj9k",
                           notification_id="EV-TEST-0001")
