"""WebGateway: ZeroMQ bridge -> validated WebSocket relay (latest frame wins) + static viewer."""

from __future__ import annotations

import base64
import http.client
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

from xai_bridge.codec import (
    CloudFrame,
    DecisionFrame,
    decode,
    encode_cloud,
    encode_decision,
    unpack_ws,
)
from xai_bridge.gateway import WebGateway, main
from xai_bridge.transport import BridgePublisher

STAMP_NS = 1_700_000_000_000_000_000
ACTIONS = ["stop", "forward", "left", "right"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cloud(seq: int, n: int = 500, topic: str = "cloud/attention") -> list[bytes]:
    """A q16 cloud of ``n`` points whose first coordinate encodes ``seq``."""
    rng = np.random.default_rng(seq)
    xyz = rng.uniform(-1.0, 1.0, (n, 3)).astype(np.float32)
    xyz[0] = (seq * 0.01, 0.0, 1.0)
    attention = np.linspace(0.0, 1.0, n, dtype=np.float32)
    return encode_cloud(
        topic, xyz, attention, seq=seq, stamp_ns=STAMP_NS + seq, frame_id="camera_optical"
    )


def decision(seq: int, chosen: int = 1) -> list[bytes]:
    return encode_decision(
        seq=seq,
        stamp_ns=STAMP_NS + seq,
        frame_id="base_link",
        policy="aqt_test",
        action_names=ACTIONS,
        q_values=[0.1, 0.9, -0.2, 0.3],
        chosen=chosen,
    )


def wait_for(predicate: Callable[[], bool], timeout_s: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.01)


def recv_decoded(ws: ClientConnection, timeout_s: float) -> CloudFrame | DecisionFrame | None:
    try:
        data = ws.recv(timeout=timeout_s)
    except TimeoutError:
        return None
    assert isinstance(data, bytes), "the gateway sends binary messages"
    return decode(unpack_ws(data))


def publish_until_received(
    pub: BridgePublisher, ws: ClientConnection, frames: list[bytes], timeout_s: float = 5.0
) -> CloudFrame | DecisionFrame:
    """Publish ``frames`` until ``ws`` gets a message (ZeroMQ subscriptions join late)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pub.publish(frames)
        message = recv_decoded(ws, 0.1)
        if message is not None:
            return message
    raise AssertionError("no message reached the WebSocket client")


def ws_url(gateway: WebGateway) -> str:
    return f"ws://127.0.0.1:{gateway.port}/ws"


def test_relays_clouds_and_decisions_and_drops_invalid(
    bridge: tuple[BridgePublisher, WebGateway],
) -> None:
    pub, gateway = bridge
    assert gateway.url == f"http://127.0.0.1:{gateway.port}/"
    with connect(ws_url(gateway), max_size=None) as ws:
        wait_for(lambda: gateway.stats()["clients"] == 1, what="the client to register")
        sent = cloud(0)
        first = publish_until_received(pub, ws, sent)
        while first.seq != 0 or not isinstance(first, CloudFrame):  # drain warm-up repeats
            first = recv_decoded(ws, 1.0)
            assert first is not None
        expected = decode(sent)
        assert isinstance(first, CloudFrame)
        assert first.topic == "cloud/attention"
        assert first.stamp_ns == expected.stamp_ns
        np.testing.assert_array_equal(first.xyz, expected.xyz)
        np.testing.assert_array_equal(first.attention, expected.attention)

        pub.publish(decision(1, chosen=2))
        got = recv_decoded(ws, 2.0)
        while isinstance(got, CloudFrame):  # a late warm-up repeat
            got = recv_decoded(ws, 2.0)
        assert isinstance(got, DecisionFrame)
        assert got.action_names == ACTIONS
        assert got.chosen == 2
        assert got.q_values == pytest.approx([0.1, 0.9, -0.2, 0.3])

        # Garbage on the wire: counted, logged, never forwarded; the relay keeps going.
        while recv_decoded(ws, 0.2) is not None:
            pass
        pub.publish([b"cloud/x", b"\xc1garbage", b""])
        wait_for(lambda: gateway.stats()["dropped_invalid"] == 1, what="dropped_invalid == 1")
        pub.publish(cloud(7, topic="cloud/x"))
        after = recv_decoded(ws, 2.0)
        assert isinstance(after, CloudFrame)
        assert (after.topic, after.seq) == ("cloud/x", 7)
        stats = gateway.stats()
        assert stats["dropped_invalid"] == 1
        assert stats["frames_relayed"] >= 3
    wait_for(lambda: gateway.stats()["clients"] == 0, what="the client to leave")


def stalled_client(port: int) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # tiny window: stalls early
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)  # byte by byte: leave every WebSocket frame unread
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def test_slow_client_does_not_block_fast_one(bridge: tuple[BridgePublisher, WebGateway]) -> None:
    pub, gateway = bridge
    slow = stalled_client(gateway.port)
    try:
        with connect(ws_url(gateway), max_size=None) as fast:
            wait_for(lambda: gateway.stats()["clients"] == 2, what="both clients")
            publish_until_received(pub, fast, cloud(0, n=10))
            # 24 clouds of 100k points (~17 MB) overflow every socket buffer of the stalled
            # client; the fast one still gets each cloud right after it is published.
            for seq in range(1, 25):
                pub.publish(cloud(seq, n=100_000))
                deadline = time.monotonic() + 5.0
                while True:
                    got = recv_decoded(fast, max(0.0, deadline - time.monotonic()))
                    assert got is not None, f"fast client never got seq {seq}"
                    if got.seq == seq:
                        break
                assert isinstance(got, CloudFrame) and got.n == 100_000
            stats = gateway.stats()
            assert stats["dropped_slow"] > 0, stats
            assert stats["clients"] == 2
    finally:
        slow.close()


def get(port: int, path: str) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        conn.close()


def test_serves_viewer_and_refuses_traversal(tmp_path: Path) -> None:
    static = tmp_path / "viewer"
    (static / "node_modules" / "three" / "build").mkdir(parents=True)
    (static / "node_modules" / "other").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>viewer</title>")
    (static / "main.js").write_text("export {};")
    (static / "node_modules" / "three" / "build" / "three.module.js").write_text("export {};")
    (static / "node_modules" / "other" / "x.js").write_text("export {};")
    (static / ".env.js").write_text("secret")
    (tmp_path / "secret.js").write_text("secret")
    (static / "link.js").symlink_to(tmp_path / "secret.js")

    endpoint = f"tcp://127.0.0.1:{free_port()}"
    with WebGateway(endpoint, http_port=0, static_dir=static) as gateway:
        port = gateway.port
        status, body, ctype = get(port, "/")
        assert (status, ctype) == (200, "text/html; charset=utf-8")
        assert b"<title>viewer" in body
        assert get(port, "/index.html")[0] == 200
        status, _, ctype = get(port, "/main.js?v=1")
        assert (status, ctype) == (200, "text/javascript; charset=utf-8")
        assert get(port, "/node_modules/three/build/three.module.js")[0] == 200
        assert get(port, "/missing.js")[0] == 404
        for path in (
            "/../../etc/passwd",
            "/../secret.js",
            "/%2e%2e/secret.js",
            "/..%2fsecret.js",
            "/node_modules/three/../../../secret.js",
            "/node_modules/other/x.js",
            "/.env.js",
            "/link.js",
            "/..\\secret.js",
        ):
            status, body, _ = get(port, path)
            assert status in (403, 404), (path, status)
            assert b"secret" not in body and b"root:" not in body, path
        status, _, _ = get(port, "/ws")  # plain GET on the WebSocket path
        assert status == 426


def test_default_static_dir_serves_the_real_viewer() -> None:
    with WebGateway(f"tcp://127.0.0.1:{free_port()}", http_port=0) as gateway:
        status, body, _ = get(gateway.port, "/index.html")
        assert status == 200 and b"importmap" in body
        assert get(gateway.port, "/decoder.js")[0] == 200


def test_cli_reports_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["--bridge", f"tcp://127.0.0.1:{free_port()}", "--port", str(port)])
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"port {port}" in err and "in use" in err


def test_cli_rejects_bad_args_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--port", "70000"])
    assert exc.value.code != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
