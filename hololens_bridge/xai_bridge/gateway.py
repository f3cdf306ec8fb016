"""Web gateway: ZeroMQ bridge -> validated, latest-frame-wins WebSocket relay + the web viewer.

``WebGateway`` subscribes to the bridge (``BridgeSubscriber``, CURVE or plaintext), validates every
message with :func:`xai_bridge.codec.decode`, and relays the raw frames, framed by
:func:`xai_bridge.codec.pack_ws` (PROTOCOL.md "WebSocket framing"), as one binary WebSocket message
to every browser connected at ``/ws``. The same HTTP port serves the static viewer
(``hololens_bridge/web_viewer``: ``index.html``, its JS / CSS, and the ``three`` and
``@msgpack/msgpack`` packages from its ``node_modules``).

Threads: a receiver thread owns the ZeroMQ socket (decode + pack happen there); an asyncio loop in
a second thread runs the WebSocket / HTTP server. ``start()`` / ``stop()`` make the gateway
embeddable in a ROS node or the demo.

Back-pressure: each client has one pending slot per topic. A new frame replaces a frame that has
not been sent yet (counted in ``dropped_slow``), so a slow browser never builds a backlog and never
delays the others; each client has its own sender task.

Invalid input (a message ``decode`` rejects) is logged with the reason, counted in
``dropped_invalid``, not forwarded, and the gateway keeps serving.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import http
import logging
import os
import signal
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from xai_bridge.codec import ProtocolError, decode, pack_ws
from xai_bridge.transport import BridgeSubscriber

log = logging.getLogger("xai_bridge.gateway")

DEFAULT_STATIC_DIR = Path(__file__).resolve().parents[1] / "web_viewer"
"""``hololens_bridge/web_viewer`` of this checkout (the package is installed editable)."""

WS_PATH = "/ws"
"""The WebSocket endpoint; every other path is a static file or 404."""

NODE_PACKAGES = (("three",), ("@msgpack", "msgpack"))
"""The only packages under ``web_viewer/node_modules`` that the gateway serves."""

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
"""Served file types; anything else is 404."""

_LOG_FIRST_INVALID = 10
"""Log every invalid message up to this many, then every 100th (a garbage flood stays readable)."""


@dataclass(eq=False)
class _Client:
    """One connected browser: a pending slot per topic and a wake-up for its sender task."""

    ws: ServerConnection
    pending: dict[str, bytes] = field(default_factory=dict)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)


class WebGateway:
    """Relay bridge messages to browsers over WebSocket and serve the web viewer.

    Args:
        bridge_endpoint: ZeroMQ endpoint of the bridge's PUB socket, e.g. ``tcp://127.0.0.1:5557``.
        http_host: address for HTTP + WebSocket; ``127.0.0.1`` unless the caller explicitly wants
            other machines to reach it (``0.0.0.0``).
        http_port: TCP port; ``0`` picks a free one (see :attr:`url`).
        topics: ZeroMQ topic prefixes to subscribe to (``""`` = all).
        server_public_key_file: the bridge's public CURVE certificate (as for
            :class:`~xai_bridge.transport.BridgeSubscriber`); ``None`` for a plaintext bridge.
        client_secret_key_file: this client's secret CURVE certificate; ``None`` for plaintext.
        static_dir: the web viewer directory (``index.html``, ``main.js``, ``node_modules/``).
        rcvhwm: ZeroMQ receive high-water mark of the subscription (messages).
    """

    def __init__(
        self,
        bridge_endpoint: str,
        *,
        http_host: str = "127.0.0.1",
        http_port: int = 8765,
        topics: tuple[str, ...] | list[str] = ("",),
        server_public_key_file: str | Path | None = None,
        client_secret_key_file: str | Path | None = None,
        static_dir: str | Path = DEFAULT_STATIC_DIR,
        rcvhwm: int = 4,
    ) -> None:
        self.bridge_endpoint = bridge_endpoint
        self.http_host = http_host
        self.http_port = http_port
        self.topics = tuple(topics)
        self.server_public_key_file = server_public_key_file
        self.client_secret_key_file = client_secret_key_file
        self.static_dir = Path(static_dir).resolve()
        self.rcvhwm = rcvhwm

        self._subscriber: BridgeSubscriber | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._loop_thread: threading.Thread | None = None
        self._rx_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._clients: set[_Client] = set()
        self._port: int | None = None
        # Each counter is written by one thread only (receiver or loop), so no lock is needed.
        self._frames_received = 0
        self._frames_relayed = 0
        self._messages_sent = 0
        self._dropped_invalid = 0
        self._dropped_slow = 0

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect to the bridge, start serving, and return once the HTTP port is listening.

        Raises:
            OSError: the HTTP port cannot be bound (e.g. already in use).
            ValueError, zmq.ZMQError: bad endpoint or key files (from ``BridgeSubscriber``).
            RuntimeError: already started.
        """
        if self._loop_thread is not None:
            raise RuntimeError("WebGateway already started")
        self._check_static_dir()
        self._stopping.clear()
        self._subscriber = BridgeSubscriber(
            self.bridge_endpoint,
            topics=self.topics,
            server_public_key_file=self.server_public_key_file,
            client_secret_key_file=self.client_secret_key_file,
            rcvhwm=self.rcvhwm,
        )
        ready = threading.Event()
        startup: list[BaseException] = []
        self._loop_thread = threading.Thread(
            target=self._run_loop, args=(ready, startup), name="xai-gateway-ws", daemon=True
        )
        self._loop_thread.start()
        if not ready.wait(timeout_s):
            startup.append(TimeoutError(f"web server did not start within {timeout_s} s"))
        if startup:
            self.stop()
            raise startup[0]
        # The ZeroMQ socket moves to the receiver thread (thread start is a full memory barrier).
        self._rx_thread = threading.Thread(
            target=self._receive_loop, name="xai-gateway-zmq", daemon=True
        )
        self._rx_thread.start()
        log.info("web gateway at %s relaying %s", self.url, self.bridge_endpoint)

    def stop(self) -> None:
        """Stop relaying, close every WebSocket and the ZeroMQ socket. Idempotent."""
        self._stopping.set()
        if self._rx_thread is not None:
            self._rx_thread.join()
            self._rx_thread = None
        if self._loop is not None and self._loop_thread is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._loop.stop)
        if self._loop_thread is not None:
            self._loop_thread.join()
            self._loop_thread = None
        if self._subscriber is not None:
            self._subscriber.close()
            self._subscriber = None

    def __enter__(self) -> WebGateway:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound HTTP port (resolves ``http_port=0``); only valid after :meth:`start`."""
        if self._port is None:
            raise RuntimeError("WebGateway not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port/`` of the viewer (the WebSocket is ``ws://host:port/ws``)."""
        host = self.http_host
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def stats(self) -> dict[str, int]:
        """Counters since start.

        Returns:
            ``frames_relayed``: valid bridge messages handed to the clients' slots;
            ``clients``: connected WebSocket clients; ``dropped_invalid``: bridge messages that
            ``decode`` rejected; ``dropped_slow``: per-client frames replaced by a newer one on the
            same topic before they were sent; ``messages_sent``: WebSocket messages sent over all
            clients; ``frames_received``: bridge messages received (valid or not).
        """
        return {
            "frames_relayed": self._frames_relayed,
            "clients": len(self._clients),
            "dropped_invalid": self._dropped_invalid,
            "dropped_slow": self._dropped_slow,
            "messages_sent": self._messages_sent,
            "frames_received": self._frames_received,
        }

    def _check_static_dir(self) -> None:
        if not (self.static_dir / "index.html").is_file():
            log.warning("no web viewer at %s: only /ws will work", self.static_dir)
        elif not (self.static_dir / "node_modules" / "three").is_dir():
            log.warning(
                "%s has no node_modules: the viewer cannot load three.js; run scripts/setup.sh "
                "(or `npm ci` in that directory)",
                self.static_dir,
            )

    # ---- ZeroMQ side (receiver thread) -------------------------------------------------------

    def _receive_loop(self) -> None:
        subscriber = self._subscriber
        assert subscriber is not None and self._loop is not None
        while not self._stopping.is_set():
            try:
                frames = subscriber.recv_raw(0.1)
            except Exception:  # a transport failure must not kill the relay silently
                log.exception("receiving from the bridge failed; retrying")
                time.sleep(0.1)
                continue
            if frames is None:
                continue
            self._frames_received += 1
            try:
                message = decode(frames)
                data = pack_ws(frames)
            except Exception as e:  # ProtocolError, or anything a malformed message triggers
                self._count_invalid(frames, e)
                continue
            self._frames_relayed += 1
            with contextlib.suppress(RuntimeError):  # loop closed during stop()
                self._loop.call_soon_threadsafe(self._fan_out, message.topic, data)

    def _count_invalid(self, frames: list[bytes], error: Exception) -> None:
        self._dropped_invalid += 1
        count = self._dropped_invalid
        if count <= _LOG_FIRST_INVALID or count % 100 == 0:
            topic = bytes(frames[0])[:64] if frames else b""
            reason = str(error) if isinstance(error, ProtocolError) else repr(error)
            log.warning(
                "dropped invalid message #%d (topic %r, %d frames): %s",
                count,
                topic,
                len(frames),
                reason,
            )

    # ---- WebSocket side (asyncio loop thread) ------------------------------------------------

    def _run_loop(self, ready: threading.Event, startup: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(self._serve())
            self._port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as e:
            startup.append(e)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _serve(self) -> Server:
        return await serve(
            self._handle_client,
            self.http_host,
            self.http_port,
            process_request=self._process_request,
            compression=None,  # binary clouds: deflate costs latency and CPU for little gain
            max_size=2**16,  # browsers send nothing we use
            close_timeout=1.0,
            logger=logging.getLogger("xai_bridge.gateway.ws"),
        )

    async def _shutdown(self) -> None:
        if self._server is None:
            return
        self._server.close()
        try:
            await asyncio.wait_for(self._server.wait_closed(), timeout=3.0)
        except TimeoutError:
            log.warning("some WebSocket connections did not close within 3 s")
        self._clients.clear()

    def _fan_out(self, topic: str, data: bytes) -> None:
        """Put ``data`` in every client's slot for ``topic`` (latest frame wins)."""
        for client in self._clients:
            if topic in client.pending:
                self._dropped_slow += 1
            client.pending[topic] = data
            client.wakeup.set()

    async def _handle_client(self, ws: ServerConnection) -> None:
        client = _Client(ws)
        self._clients.add(client)
        log.info("browser connected from %s (%d clients)", ws.remote_address, len(self._clients))
        sender = asyncio.create_task(self._send_loop(client))
        try:
            async for _ in ws:  # the viewer sends nothing; this waits for the close
                pass
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            self._clients.discard(client)
            log.info("browser %s left (%d clients)", ws.remote_address, len(self._clients))

    async def _send_loop(self, client: _Client) -> None:
        try:
            while True:
                await client.wakeup.wait()
                client.wakeup.clear()
                while client.pending:
                    topic = next(iter(client.pending))
                    data = client.pending.pop(topic)
                    await client.ws.send(data)  # waits while this client's buffer is full
                    self._messages_sent += 1
        except ConnectionClosed:
            pass

    # ---- HTTP: the static viewer ---------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer plain HTTP GETs with viewer files; let ``/ws`` through to the WebSocket."""
        path = urllib.parse.urlsplit(request.path).path
        if path == WS_PATH:
            return None  # websockets answers 426 itself if this is not an upgrade
        if request.headers.get("Upgrade"):
            return connection.respond(http.HTTPStatus.NOT_FOUND, f"WebSocket is at {WS_PATH}\n")
        file, status = self._resolve_static(path)
        if file is None:
            return connection.respond(status, f"{status.value} {status.phrase}\n")
        try:
            body = file.read_bytes()
        except OSError:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "404 Not Found\n")
        headers = Headers(
            [
                ("Content-Type", CONTENT_TYPES[file.suffix]),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-cache"),
                ("X-Content-Type-Options", "nosniff"),
                ("Connection", "close"),
            ]
        )
        return Response(http.HTTPStatus.OK.value, "OK", headers, body)

    def _resolve_static(self, url_path: str) -> tuple[Path | None, http.HTTPStatus]:
        """Map a URL path to a file under :attr:`static_dir`, refusing anything that escapes it.

        Refused with 403: ``..`` / hidden segments (also percent-encoded), backslashes, NUL,
        ``node_modules`` packages other than :data:`NODE_PACKAGES`, and any path whose resolved
        target (symlinks followed) lies outside the static directory. Missing files and
        unlisted file types: 404.
        """
        forbidden = http.HTTPStatus.FORBIDDEN
        path = urllib.parse.unquote(url_path)
        if path in ("", "/"):
            path = "/index.html"
        if not path.startswith("/") or "\\" in path or "\x00" in path:
            return None, forbidden
        parts = [p for p in PurePosixPath(path).parts[1:] if p != "/"]
        if not parts or any(p.startswith(".") for p in parts):  # "..", ".", dotfiles
            return None, forbidden
        if parts[0] == "node_modules" and not any(
            tuple(parts[1 : 1 + len(pkg)]) == pkg and len(parts) > 1 + len(pkg)
            for pkg in NODE_PACKAGES
        ):
            return None, forbidden
        if PurePosixPath(parts[-1]).suffix not in CONTENT_TYPES:
            return None, http.HTTPStatus.NOT_FOUND
        candidate = self.static_dir.joinpath(*parts)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None, http.HTTPStatus.NOT_FOUND
        if not resolved.is_relative_to(self.static_dir):
            return None, forbidden
        if not resolved.is_file():
            return None, http.HTTPStatus.NOT_FOUND
        return resolved, http.HTTPStatus.OK


# ---- CLI ----------------------------------------------------------------------------------------


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage dump)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _OneLineParser(
        prog="xai-bridge-gateway",
        description="Relay xai_bridge clouds and decisions to browsers and serve the web viewer.",
    )
    parser.add_argument(
        "--bridge",
        default="tcp://127.0.0.1:5557",
        help="ZeroMQ endpoint of the bridge publisher (default: %(default)s)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP/WebSocket bind address; use 0.0.0.0 only to expose the viewer on the network "
        "(default: %(default)s)",
    )
    parser.add_argument("--port", type=int, default=8765, help="HTTP port (default: %(default)s)")
    parser.add_argument(
        "--topic",
        action="append",
        dest="topics",
        metavar="PREFIX",
        help="topic prefix to relay, repeatable (default: all)",
    )
    parser.add_argument(
        "--server-public-key", metavar="FILE", help="bridge's public CURVE certificate"
    )
    parser.add_argument(
        "--client-secret-key", metavar="FILE", help="this client's secret CURVE certificate"
    )
    parser.add_argument(
        "--static-dir",
        type=Path,
        default=DEFAULT_STATIC_DIR,
        help="web viewer directory (default: %(default)s)",
    )
    parser.add_argument(
        "--stats-every",
        type=float,
        default=10.0,
        metavar="S",
        help="log relay counters every S seconds, 0 = never (default: %(default)s)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be in 0..65535, got {args.port}")
    if (args.server_public_key is None) != (args.client_secret_key is None):
        parser.error("--server-public-key and --client-secret-key go together (or neither)")
    if not (args.static_dir / "index.html").is_file():
        parser.error(f"--static-dir {args.static_dir} has no index.html")
    return args


def _describe_start_error(error: BaseException, args: argparse.Namespace) -> str:
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return f"port {args.port} on {args.host} is already in use (pick another with --port)"
    if isinstance(error, OSError) and error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
        return f"cannot listen on {args.host}:{args.port}: {os.strerror(error.errno)}"
    return f"cannot start: {type(error).__name__}: {error}"


def main(argv: list[str] | None = None) -> int:
    """``xai-bridge-gateway``: run until Ctrl-C / SIGTERM; non-zero exit with one line on error."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # websockets logs every static file as a "rejected" handshake at INFO: keep that quiet.
    logging.getLogger("xai_bridge.gateway.ws").setLevel(logging.WARNING)
    gateway = WebGateway(
        args.bridge,
        http_host=args.host,
        http_port=args.port,
        topics=tuple(args.topics or ("",)),
        server_public_key_file=args.server_public_key,
        client_secret_key_file=args.client_secret_key,
        static_dir=args.static_dir,
    )
    try:
        gateway.start()
    except Exception as e:
        print(f"xai-bridge-gateway: error: {_describe_start_error(e, args)}", file=sys.stderr)
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"xai-bridge-gateway: web viewer at {gateway.url} (bridge {args.bridge})", flush=True)
    if args.host == "0.0.0.0":
        print("xai-bridge-gateway: listening on all interfaces", flush=True)
    last: dict[str, int] = {}
    try:
        while not stop.wait(args.stats_every if args.stats_every > 0 else None):
            stats = gateway.stats()
            if stats != last:  # quiet while nothing flows
                log.info("stats %s", stats)
                last = stats
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
