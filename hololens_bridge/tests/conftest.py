"""Fixtures shared by the gateway and web-viewer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xai_bridge.gateway import WebGateway
from xai_bridge.transport import BridgePublisher


@pytest.fixture()
def bridge() -> Iterator[tuple[BridgePublisher, WebGateway]]:
    """A plaintext loopback publisher and a web gateway relaying it (HTTP on a free port)."""
    pub = BridgePublisher("tcp://127.0.0.1:*", allow_plaintext=True)
    gateway = WebGateway(pub.endpoint, http_port=0)
    gateway.start()
    try:
        yield pub, gateway
    finally:
        gateway.stop()
        pub.close()
