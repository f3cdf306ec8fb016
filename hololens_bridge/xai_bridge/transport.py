"""ZeroMQ transport of the bridge: a CURVE-secured ``PUB`` server and a ``SUB`` client.

:class:`BridgePublisher` (robot side) never blocks its caller and never builds a backlog: each
topic has one pending slot, a newer message replaces an unsent one (latest frame wins), and one
sender thread drains the slots onto a ``PUB`` socket with a small send high-water mark, so a slow
or stalled client loses frames instead of slowing the ROS side.

Security (PROTOCOL.md): the server holds a CURVE key pair and admits only clients whose public
certificate is in an allow-list directory, checked by a ZAP authenticator
(:class:`zmq.auth.thread.ThreadAuthenticator`). Plaintext is refused unless the caller asks for it
explicitly *and* the endpoint is on the loopback interface.

Keys are certificate files from ``xai-bridge-keygen`` (:mod:`xai_bridge.keys`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import parse_monitor_message

from xai_bridge.codec import CloudFrame, DecisionFrame, decode
from xai_bridge.keys import load_keypair, load_public_key

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
"""Hosts on which a plaintext (``allow_plaintext=True``) publisher may bind."""

_MONITOR_EVENTS = (
    zmq.EVENT_ACCEPTED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)
_IDLE_WAKE_S = 0.05  # the sender thread looks at the monitor socket at least this often


def endpoint_host(endpoint: str) -> str:
    """Host part of a ``tcp://HOST:PORT`` endpoint (``"*"`` for all interfaces).

    Raises:
        ValueError: not a ``tcp://HOST:PORT`` endpoint.
    """
    if not endpoint.startswith("tcp://") or ":" not in endpoint[6:]:
        raise ValueError(f"endpoint must be tcp://HOST:PORT, got {endpoint!r}")
    return endpoint[6:].rsplit(":", 1)[0].strip("[]")


class BridgePublisher:
    """``PUB`` server: latest-frame-wins per topic, CURVE with an allow-list, never blocking.

    Two places drop frames, neither ever queues more: the per-topic slot (a newer message replaces
    an unsent one, ``stats()["replaced"]``) and the ``PUB`` socket, which discards a message for a
    client whose ``sndhwm`` messages are still in flight (that client sees a ``seq`` gap).

    Args:
        endpoint: ``tcp://HOST:PORT`` to bind; ``PORT`` may be ``*`` for a free port (read the
            bound one from :attr:`endpoint`).
        server_secret_key_file: the server's ``NAME.key_secret``; enables CURVE.
        allowed_clients_dir: directory of client public certificates (``*.key``) admitted by the
            ZAP authenticator; required with CURVE. Call :meth:`reload_allowed_clients` after
            changing it.
        allow_plaintext: permit running without CURVE; only on ``127.0.0.1`` / ``localhost``.
        sndhwm: send high-water mark per client, in messages; a client further behind than this
            loses messages.

    Raises:
        ValueError: plaintext not allowed for this endpoint, a missing allow-list directory, an
            unreadable key file.
    """

    def __init__(
        self,
        endpoint: str = "tcp://127.0.0.1:5557",
        *,
        server_secret_key_file: Path | None = None,
        allowed_clients_dir: Path | None = None,
        allow_plaintext: bool = False,
        sndhwm: int = 2,
    ) -> None:
        host = endpoint_host(endpoint)
        curve = server_secret_key_file is not None
        if not curve:
            if not allow_plaintext:
                raise ValueError(
                    "refusing to publish without CURVE: pass server_secret_key_file and "
                    "allowed_clients_dir, or allow_plaintext=True on 127.0.0.1"
                )
            if host not in LOOPBACK_HOSTS:
                raise ValueError(
                    f"plaintext is only allowed on 127.0.0.1 / localhost, not on {host!r}: "
                    "use CURVE keys for any other interface"
                )
        if curve:
            if allowed_clients_dir is None or not Path(allowed_clients_dir).is_dir():
                raise ValueError(
                    f"CURVE needs an existing allowed_clients_dir of client *.key files, "
                    f"got {allowed_clients_dir!r}"
                )
            public_key, secret_key = load_keypair(server_secret_key_file)
            if not any(Path(allowed_clients_dir).glob("*.key")):
                log.warning(
                    "allow-list %s holds no *.key: no client can connect", allowed_clients_dir
                )
        if sndhwm < 1:
            raise ValueError(f"sndhwm must be >= 1, got {sndhwm}")

        self._allowed_clients_dir = Path(allowed_clients_dir) if curve else None
        self._ctx = zmq.Context()
        self._auth: ThreadAuthenticator | None = None
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: OrderedDict[str, list[bytes]] = OrderedDict()
        self._stopping = False
        self._stats: dict[str, Any] = {
            "offered": 0,
            "sent": 0,
            "replaced": 0,
            "bytes_sent": 0,
            "send_errors": 0,
            "max_pending": 0,
            "auth_failures": 0,
            "handshake_failures": 0,
            "handshakes": 0,
            "accepted": 0,
            "disconnected": 0,
        }
        self._topics: dict[str, dict[str, int]] = {}
        try:
            if curve:
                # The ZAP handler must be running before the socket binds.
                self._auth = ThreadAuthenticator(self._ctx, log=log.getChild("zap"))
                self._auth.start()
                self._auth.configure_curve(domain="*", location=str(self._allowed_clients_dir))
            self._socket = self._ctx.socket(zmq.PUB)
            self._socket.linger = 0
            self._socket.sndhwm = sndhwm
            if curve:
                self._socket.curve_secretkey = secret_key
                self._socket.curve_publickey = public_key
                self._socket.curve_server = True
            self._monitor = self._socket.get_monitor_socket(_MONITOR_EVENTS)
            self._socket.bind(endpoint)
            # The bound endpoint, with the actual port when PORT was "*".
            self.endpoint: str = self._socket.last_endpoint.decode()
        except Exception:
            self._teardown()
            raise
        self.curve = curve
        self._thread = threading.Thread(target=self._run, name="xai-bridge-sender", daemon=True)
        self._thread.start()

    # ---- caller side ---------------------------------------------------------------------

    def publish(self, frames: list[bytes]) -> None:
        """Queue ``[topic, header, payload]`` for sending; returns at once, never blocks on I/O.

        If the topic's previous message has not been sent yet it is replaced (counted in
        ``stats()["replaced"]``): at most one message per topic is ever pending. Thread-safe (a
        multi-threaded ROS executor may publish from several callbacks). The frames are sent
        without copying, so do not mutate a ``bytearray`` / buffer after handing it over.

        Raises:
            ValueError: not three frames.
            RuntimeError: the publisher is closed.
        """
        if len(frames) != 3:
            raise ValueError(f"a message has 3 frames (topic, header, payload), got {len(frames)}")
        topic = bytes(frames[0]).decode("utf-8", errors="replace")
        with self._wake:
            if self._stopping:
                raise RuntimeError("publish() on a closed BridgePublisher")
            self._stats["offered"] += 1
            counts = self._topic_counts(topic)
            counts["offered"] += 1
            if topic in self._pending:
                self._stats["replaced"] += 1
                counts["replaced"] += 1
            self._pending[topic] = frames  # a replaced topic keeps its place in the queue
            self._stats["max_pending"] = max(self._stats["max_pending"], len(self._pending))
            self._wake.notify()

    def stats(self) -> dict[str, Any]:
        """Counters since start.

        Keys: ``offered`` (publish calls), ``sent`` (handed to the PUB socket), ``replaced``
        (dropped unsent because a newer message of the topic came), ``bytes_sent``, ``pending``
        (messages waiting now, <= number of topics), ``max_pending``, ``topics``
        (``{topic: {"offered", "sent", "replaced"}}``), ``send_errors``, ``curve``, and from the
        socket monitor: ``accepted`` (TCP connections), ``handshakes`` (completed ZMTP/CURVE
        handshakes), ``auth_failures`` (handshakes the ZAP allow-list rejected; a rejected
        client retries, so this counts attempts, not clients), ``handshake_failures`` (other
        failed handshakes, e.g. a plaintext client or a wrong server key), ``disconnected``.
        Messages the PUB socket drops for a slow client (high-water mark) are not visible here:
        the client sees them as ``seq`` gaps.
        """
        with self._lock:
            out = dict(self._stats)
            out["pending"] = len(self._pending)
            out["topics"] = {t: dict(c) for t, c in self._topics.items()}
        out["curve"] = self.curve
        return out

    def reload_allowed_clients(self) -> None:
        """Re-read the allow-list directory (after adding or removing client certificates)."""
        if self._auth is not None:
            self._auth.configure_curve(domain="*", location=str(self._allowed_clients_dir))

    def close(self) -> None:
        """Stop the sender thread and release the socket; pending messages are discarded."""
        with self._wake:
            if self._stopping:
                return
            self._stopping = True
            self._pending.clear()
            self._wake.notify()
        self._thread.join(timeout=5.0)
        self._teardown()

    def __enter__(self) -> BridgePublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- sender thread -------------------------------------------------------------------

    def _topic_counts(self, topic: str) -> dict[str, int]:
        counts = self._topics.get(topic)
        if counts is None:
            counts = self._topics[topic] = {"offered": 0, "sent": 0, "replaced": 0}
        return counts

    def _run(self) -> None:
        """Owns the PUB and monitor sockets: sends pending messages oldest topic first."""
        while True:
            with self._wake:
                if not self._pending and not self._stopping:
                    self._wake.wait(timeout=_IDLE_WAKE_S)
                if self._stopping:
                    return
                item = self._pending.popitem(last=False) if self._pending else None
            if item is not None:
                self._send(*item)
            self._drain_monitor()

    def _send(self, topic: str, frames: list[bytes]) -> None:
        try:
            # PUB never blocks: a client at its high-water mark just misses this message.
            self._socket.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
        except zmq.ZMQError as e:
            log.warning("send of %s failed: %s", topic, e)
            with self._lock:
                self._stats["send_errors"] += 1
            return
        size = sum(len(f) for f in frames)
        with self._lock:
            self._stats["sent"] += 1
            self._stats["bytes_sent"] += size
            self._topic_counts(topic)["sent"] += 1

    def _drain_monitor(self) -> None:
        counters = {
            zmq.EVENT_ACCEPTED: "accepted",
            zmq.EVENT_DISCONNECTED: "disconnected",
            zmq.EVENT_HANDSHAKE_SUCCEEDED: "handshakes",
            zmq.EVENT_HANDSHAKE_FAILED_AUTH: "auth_failures",
            zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "handshake_failures",
            zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake_failures",
        }
        while True:
            try:
                message = self._monitor.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            except zmq.ZMQError:
                return
            event = parse_monitor_message(message)["event"]
            key = counters.get(event)
            if key is not None:
                with self._lock:
                    self._stats[key] += 1
                if key == "auth_failures":
                    log.info("rejected a client whose key is not in %s", self._allowed_clients_dir)

    def _teardown(self) -> None:
        for name in ("_monitor", "_socket"):
            sock = getattr(self, name, None)
            if sock is not None:
                if name == "_socket":
                    with contextlib.suppress(zmq.ZMQError):
                        sock.disable_monitor()
                sock.close(linger=0)
                setattr(self, name, None)
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        self._ctx.term()


class BridgeSubscriber:
    """``SUB`` client of a :class:`BridgePublisher`.

    Args:
        endpoint: ``tcp://HOST:PORT`` of the publisher.
        topics: topic prefixes to subscribe to (``""`` = everything, ``"cloud/"``, ``"decision"``).
        server_public_key_file: the server's public ``NAME.key``; with
            ``client_secret_key_file`` enables CURVE (both or neither).
        client_secret_key_file: this client's ``NAME.key_secret`` (its public ``NAME.key`` must be
            in the server's allow-list).
        rcvhwm: receive high-water mark in messages; a client that reads slowly loses messages
            rather than buffering them.

    Raises:
        ValueError: only one of the two key files, or an unreadable key file.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        topics: Sequence[str] = ("",),
        server_public_key_file: Path | None = None,
        client_secret_key_file: Path | None = None,
        rcvhwm: int = 4,
    ) -> None:
        endpoint_host(endpoint)
        if (server_public_key_file is None) != (client_secret_key_file is None):
            raise ValueError(
                "CURVE needs both server_public_key_file and client_secret_key_file (or neither)"
            )
        if isinstance(topics, str):
            raise ValueError("topics must be a sequence of prefixes, e.g. ('cloud/',)")
        self.curve = server_public_key_file is not None
        keys = None
        if self.curve:
            keys = (load_public_key(server_public_key_file), *load_keypair(client_secret_key_file))
        self._ctx = zmq.Context()
        self._socket = self._ctx.socket(zmq.SUB)
        self._socket.linger = 0
        self._socket.rcvhwm = rcvhwm
        if keys is not None:
            self._socket.curve_serverkey, self._socket.curve_publickey = keys[0], keys[1]
            self._socket.curve_secretkey = keys[2]
        for topic in topics:
            self._socket.setsockopt(zmq.SUBSCRIBE, topic.encode("utf-8"))
        self._socket.connect(endpoint)
        self.endpoint = endpoint
        self._poller = zmq.Poller()
        self._poller.register(self._socket, zmq.POLLIN)

    def recv_raw(self, timeout_s: float) -> list[bytes] | None:
        """The next message's frames, or ``None`` if none arrives within ``timeout_s`` seconds."""
        if not self._poller.poll(max(0, int(timeout_s * 1000))):
            return None
        return self._socket.recv_multipart(flags=zmq.NOBLOCK)

    def recv(self, timeout_s: float) -> CloudFrame | DecisionFrame | None:
        """The next decoded message, or ``None`` on timeout.

        Raises:
            ProtocolError: the message does not follow PROTOCOL.md.
        """
        frames = self.recv_raw(timeout_s)
        return None if frames is None else decode(frames)

    def close(self) -> None:
        """Close the socket and its context (idempotent)."""
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
            self._ctx.term()

    def __enter__(self) -> BridgeSubscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
