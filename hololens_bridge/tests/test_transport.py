"""xai_bridge.transport: CURVE allow-list, plaintext rules, latest-frame-wins back-pressure.

Every socket is on 127.0.0.1 with a free port picked by the OS (``tcp://127.0.0.1:*``), every
receive has a timeout, and every publisher / subscriber is closed by the test that made it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import msgpack
import numpy as np
import pytest

from xai_bridge.codec import CloudFrame, DecisionFrame, ProtocolError, encode_cloud, encode_decision
from xai_bridge.keys import create_keypair
from xai_bridge.transport import BridgePublisher, BridgeSubscriber

ANY_PORT = "tcp://127.0.0.1:*"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A server pair, an allowed client pair, and a client pair not in the allow-list."""
    root = tmp_path_factory.mktemp("keys")
    allowed = root / "allowed"
    create_keypair(root, "server")
    create_keypair(root, "client", allow_dir=allowed)
    create_keypair(root, "rogue")
    create_keypair(root, "other_server")
    return SimpleNamespace(
        root=root,
        allowed=allowed,
        server_secret=root / "server.key_secret",
        server_public=root / "server.key",
        client_secret=root / "client.key_secret",
        rogue_secret=root / "rogue.key_secret",
        other_server_public=root / "other_server.key",
    )


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    """Closes every publisher / subscriber a test enters into it, even when the test fails."""
    with ExitStack() as s:
        yield s


def _curve_publisher(keys: SimpleNamespace, **kwargs) -> BridgePublisher:
    return BridgePublisher(
        ANY_PORT,
        server_secret_key_file=keys.server_secret,
        allowed_clients_dir=keys.allowed,
        **kwargs,
    )


def _curve_subscriber(endpoint: str, keys: SimpleNamespace, secret: Path, **kwargs):
    return BridgeSubscriber(
        endpoint, server_public_key_file=keys.server_public, client_secret_key_file=secret, **kwargs
    )


def _cloud(seq: int, n: int = 100, topic: str = "cloud/attention") -> list[bytes]:
    rng = np.random.default_rng(seq)
    xyz = rng.random((n, 3), dtype=np.float32) * 4
    return encode_cloud(topic, xyz, rng.random(n), seq=seq, stamp_ns=time.time_ns(), frame_id="f")


def _drain(subscriber: BridgeSubscriber, timeout_s: float = 0.0) -> list:
    """Every message waiting now (the first wait up to ``timeout_s``)."""
    messages = []
    while (message := subscriber.recv(timeout_s if not messages else 0.0)) is not None:
        messages.append(message)
    return messages


def _stream(
    publisher: BridgePublisher,
    subscribers: dict[str, BridgeSubscriber],
    duration_s: float,
    make: Callable[[int], list[bytes]] = _cloud,
    period_s: float = 0.02,
    until: Callable[[dict[str, list]], bool] | None = None,
) -> dict[str, list]:
    """Publish ``make(seq)`` every ``period_s`` while reading every subscriber; returns messages."""
    received: dict[str, list] = {name: [] for name in subscribers}
    deadline = time.monotonic() + duration_s
    seq = 0
    while time.monotonic() < deadline:
        publisher.publish(make(seq))
        seq += 1
        time.sleep(period_s)
        for name, subscriber in subscribers.items():
            received[name].extend(_drain(subscriber))
        if until is not None and until(received):
            break
    return received


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# ---- CURVE -----------------------------------------------------------------------------


def test_allowed_client_receives_decodable_frames_over_curve(keys, stack) -> None:
    publisher = stack.enter_context(_curve_publisher(keys))
    assert publisher.endpoint.startswith("tcp://127.0.0.1:") and not publisher.endpoint.endswith(
        "*"
    )
    client = stack.enter_context(_curve_subscriber(publisher.endpoint, keys, keys.client_secret))
    got = _stream(publisher, {"client": client}, 5.0, until=lambda r: len(r["client"]) >= 5)
    messages = got["client"]
    assert len(messages) >= 5
    assert all(isinstance(m, CloudFrame) and m.n == 100 for m in messages)
    seqs = [m.seq for m in messages]
    assert seqs == sorted(seqs)
    # the content is intact: the points _cloud(seq) drew, within the q16 error bound
    rng = np.random.default_rng(messages[-1].seq)
    xyz = rng.random((100, 3), dtype=np.float32) * 4
    assert np.abs(messages[-1].xyz - xyz).max() <= 0.0005 + 1e-6
    stats = publisher.stats()
    assert stats["curve"] is True and stats["handshakes"] >= 1 and stats["auth_failures"] == 0


def test_unknown_key_gets_nothing_while_allowed_client_does(keys, stack) -> None:
    publisher = stack.enter_context(_curve_publisher(keys))
    rogue = stack.enter_context(_curve_subscriber(publisher.endpoint, keys, keys.rogue_secret))
    client = stack.enter_context(_curve_subscriber(publisher.endpoint, keys, keys.client_secret))
    got = _stream(publisher, {"rogue": rogue, "client": client}, 1.0)
    assert len(got["client"]) >= 10, "the allowed client should receive the stream"
    assert got["rogue"] == [], "a client whose key is not in the allow-list must receive nothing"
    assert _wait(lambda: publisher.stats()["auth_failures"] >= 1, 2.0), publisher.stats()


def test_client_without_curve_gets_nothing(keys, stack) -> None:
    publisher = stack.enter_context(_curve_publisher(keys))
    plain = stack.enter_context(BridgeSubscriber(publisher.endpoint))
    wrong_server = stack.enter_context(
        BridgeSubscriber(
            publisher.endpoint,
            server_public_key_file=keys.other_server_public,
            client_secret_key_file=keys.client_secret,
        )
    )
    client = stack.enter_context(_curve_subscriber(publisher.endpoint, keys, keys.client_secret))
    got = _stream(publisher, {"plain": plain, "wrong": wrong_server, "client": client}, 1.0)
    assert len(got["client"]) >= 10
    assert got["plain"] == [], "a plaintext client must not read a CURVE stream"
    assert got["wrong"] == [], "a client expecting another server key must not read the stream"
    assert _wait(lambda: publisher.stats()["handshake_failures"] >= 1, 2.0), publisher.stats()


def test_reloading_the_allow_list_admits_a_new_client(keys, stack, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    publisher = stack.enter_context(
        BridgePublisher(
            ANY_PORT, server_secret_key_file=keys.server_secret, allowed_clients_dir=allowed
        )
    )
    (allowed / "rogue.key").write_bytes((keys.root / "rogue.key").read_bytes())
    publisher.reload_allowed_clients()
    rogue = stack.enter_context(_curve_subscriber(publisher.endpoint, keys, keys.rogue_secret))
    got = _stream(publisher, {"rogue": rogue}, 5.0, until=lambda r: len(r["rogue"]) >= 2)
    assert len(got["rogue"]) >= 2


def test_curve_needs_an_existing_allow_list(keys, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="allowed_clients_dir"):
        BridgePublisher(ANY_PORT, server_secret_key_file=keys.server_secret)
    with pytest.raises(ValueError, match="allowed_clients_dir"):
        BridgePublisher(
            ANY_PORT,
            server_secret_key_file=keys.server_secret,
            allowed_clients_dir=tmp_path / "missing",
        )


def test_server_needs_its_secret_key_file(keys) -> None:
    with pytest.raises(ValueError, match="no secret key"):
        BridgePublisher(
            ANY_PORT, server_secret_key_file=keys.server_public, allowed_clients_dir=keys.allowed
        )


def test_subscriber_needs_both_keys_or_neither(keys) -> None:
    with pytest.raises(ValueError, match="both"):
        BridgeSubscriber("tcp://127.0.0.1:5557", server_public_key_file=keys.server_public)
    with pytest.raises(ValueError, match="both"):
        BridgeSubscriber("tcp://127.0.0.1:5557", client_secret_key_file=keys.client_secret)


# ---- plaintext -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    ["tcp://0.0.0.0:5557", "tcp://*:5557", "tcp://192.168.1.20:5557", "tcp://robot.local:5557"],
)
def test_plaintext_is_refused_off_loopback(endpoint: str) -> None:
    with pytest.raises(ValueError, match=r"plaintext is only allowed on 127\.0\.0\.1") as error:
        BridgePublisher(endpoint, allow_plaintext=True)
    assert "\n" not in str(error.value)


def test_plaintext_needs_the_explicit_flag_even_on_loopback() -> None:
    with pytest.raises(ValueError, match="refusing to publish without CURVE"):
        BridgePublisher(ANY_PORT)


def test_endpoint_must_be_tcp() -> None:
    with pytest.raises(ValueError, match="tcp://HOST:PORT"):
        BridgePublisher("ipc:///tmp/bridge", allow_plaintext=True)


def test_plaintext_on_loopback_streams(stack) -> None:
    publisher = stack.enter_context(BridgePublisher(ANY_PORT, allow_plaintext=True))
    subscriber = stack.enter_context(BridgeSubscriber(publisher.endpoint))
    got = _stream(publisher, {"s": subscriber}, 5.0, until=lambda r: len(r["s"]) >= 3)
    assert len(got["s"]) >= 3 and publisher.stats()["curve"] is False


# ---- subscriber behaviour --------------------------------------------------------------


def test_recv_times_out_with_none(stack) -> None:
    publisher = stack.enter_context(BridgePublisher(ANY_PORT, allow_plaintext=True))
    subscriber = stack.enter_context(BridgeSubscriber(publisher.endpoint))
    start = time.monotonic()
    assert subscriber.recv(0.1) is None
    assert subscriber.recv_raw(0.0) is None
    assert 0.09 <= time.monotonic() - start < 1.0


def test_topic_prefix_filters_messages(stack) -> None:
    publisher = stack.enter_context(BridgePublisher(ANY_PORT, allow_plaintext=True))
    decisions = stack.enter_context(BridgeSubscriber(publisher.endpoint, topics=("decision",)))

    def both(seq: int) -> list[bytes]:
        if seq % 2:
            return _cloud(seq)
        return encode_decision(
            seq=seq, stamp_ns=1, frame_id="b", policy="p", action_names=["a"], q_values=[],
            chosen=0,
        )  # fmt: skip

    got = _stream(publisher, {"d": decisions}, 5.0, make=both, until=lambda r: len(r["d"]) >= 3)
    assert len(got["d"]) >= 3 and all(isinstance(m, DecisionFrame) for m in got["d"])


def test_bad_message_raises_protocol_error_and_raw_frames_are_available(stack) -> None:
    publisher = stack.enter_context(BridgePublisher(ANY_PORT, allow_plaintext=True))
    subscriber = stack.enter_context(BridgeSubscriber(publisher.endpoint))
    bad = [b"cloud/x", msgpack.packb({"v": 99, "kind": "cloud"}), b""]
    raw = None
    deadline = time.monotonic() + 5.0
    while raw is None and time.monotonic() < deadline:
        publisher.publish(bad)
        raw = subscriber.recv_raw(0.05)
    assert raw == bad
    publisher.publish(bad)
    with pytest.raises(ProtocolError, match="unknown schema version v=99"):
        while subscriber.recv(1.0) is not None:
            pass


# ---- back-pressure ---------------------------------------------------------------------


def test_stalled_subscriber_never_blocks_or_grows_a_queue(stack) -> None:
    """A client that connects and never reads costs the publisher nothing.

    Large clouds (300k points, 2.1 MB each) go out as fast as the test can encode them; one
    subscriber (tiny receive high-water mark) never reads. publish() must return at once every
    time, at most one message per topic may be pending, and a second, reading client must keep
    receiving recent frames.
    """
    publisher = stack.enter_context(BridgePublisher(ANY_PORT, allow_plaintext=True, sndhwm=2))
    stalled = stack.enter_context(BridgeSubscriber(publisher.endpoint, rcvhwm=1))
    reader = stack.enter_context(BridgeSubscriber(publisher.endpoint, rcvhwm=4))
    assert _wait(lambda: publisher.stats()["handshakes"] >= 2, 5.0)

    n = 300_000
    rng = np.random.default_rng(0)
    xyz = (rng.random((n, 3), dtype=np.float32) - 0.5) * 8
    attention = rng.random(n, dtype=np.float32)
    received_seqs: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            frames = reader.recv_raw(0.05)
            if frames is not None and frames[0] == b"cloud/big":
                received_seqs.append(msgpack.unpackb(frames[1])["seq"])

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    frames_count = 120
    call_s, pending = [], []
    try:
        # let the reader's subscription settle, then stream as fast as we can encode
        publisher.publish(
            encode_cloud("cloud/big", xyz, attention, seq=0, stamp_ns=0, frame_id="f")
        )
        assert _wait(lambda: len(received_seqs) >= 1, 5.0)
        for seq in range(1, frames_count + 1):
            big = encode_cloud("cloud/big", xyz, attention, seq=seq, stamp_ns=seq, frame_id="f")
            small = encode_decision(
                seq=seq, stamp_ns=seq, frame_id="b", policy="p", action_names=["a"],
                q_values=[1.0], chosen=0,
            )  # fmt: skip
            for message in (big, small):
                start = time.perf_counter()
                publisher.publish(message)
                call_s.append(time.perf_counter() - start)
                pending.append(publisher.stats()["pending"])
            if seq > frames_count - 5:
                time.sleep(0.05)  # the last few at a pace a reading client keeps up with
        # PUB drops a new message for a client whose pipe is full, so a busy reader may miss a
        # frame of the burst; the paced tail must arrive, the newest frame included.
        assert _wait(lambda: bool(received_seqs) and received_seqs[-1] == frames_count, 5.0), (
            f"the reading client should get the newest frame; got up to {received_seqs[-1:]}"
        )
    finally:
        stop.set()
        thread.join(timeout=2.0)

    assert max(pending) <= 2, "at most one pending message per topic (2 topics)"
    assert np.median(call_s) < 0.001 and max(call_s) < 0.1, (np.median(call_s), max(call_s))
    stats = publisher.stats()
    assert stats["pending"] == 0
    assert stats["offered"] == stats["sent"] + stats["replaced"] == 2 * frames_count + 1
    assert stats["max_pending"] <= 2
    assert stats["topics"]["cloud/big"]["offered"] == frames_count + 1
    assert stats["send_errors"] == 0
    # the reader saw recent frames throughout, the stalled client holds only a few old ones
    assert len(received_seqs) >= 10
    stalled_seqs = [m.seq for m in _drain(stalled, 0.5) if isinstance(m, CloudFrame)]
    assert len(stalled_seqs) < frames_count // 4, "a stalled client must lose frames, not queue"


def test_client_disconnecting_mid_stream_does_not_break_the_publisher(stack) -> None:
    publisher = stack.enter_context(BridgePublisher(ANY_PORT, allow_plaintext=True))
    leaving = BridgeSubscriber(publisher.endpoint)
    staying = stack.enter_context(BridgeSubscriber(publisher.endpoint))
    try:
        got = _stream(
            publisher,
            {"leaving": leaving, "staying": staying},
            5.0,
            make=lambda seq: _cloud(seq, n=20_000),
            until=lambda r: len(r["leaving"]) >= 3 and len(r["staying"]) >= 3,
        )
        assert len(got["leaving"]) >= 3
    finally:
        leaving.close()  # abrupt: linger 0, mid-stream
    before = publisher.stats()["sent"]
    after = _stream(publisher, {"staying": staying}, 0.6, make=lambda seq: _cloud(seq, n=20_000))
    assert len(after["staying"]) >= 10
    assert _wait(lambda: publisher.stats()["disconnected"] >= 1, 2.0)
    stats = publisher.stats()
    assert stats["sent"] > before and stats["send_errors"] == 0


def test_publish_checks_its_input_and_refuses_after_close() -> None:
    publisher = BridgePublisher(ANY_PORT, allow_plaintext=True)
    with pytest.raises(ValueError, match="3 frames"):
        publisher.publish([b"cloud/a", b""])
    publisher.close()
    publisher.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        publisher.publish(_cloud(0))
