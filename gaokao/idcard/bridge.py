"""The reader bridge: a small HTTP service on 127.0.0.1 that the office web page calls when
staff press 读卡 (S3). The browser cannot reach a serial port; this service can.

HTTP contract (JSON, UTF-8, ``Cache-Control: no-store``):

- ``GET /status`` → ``{"ok": true, "sam_id": "05.01-…", "simulated": false}``
- ``POST /read`` (empty body or a JSON object) → ``{"ok": true, "card": {…}}``, the card
  as ``CardIdentity.to_json()``; the server checks it again with ``CardIdentity.from_json``.
- A reader problem is HTTP 200 with ``{"ok": false, "code": "no_card", "error": "…"}`` so
  that the page can show the message (in Chinese); ``code`` is a ReaderError code, or
  ``busy`` while another read is under way.
- Bad requests are 4xx with the same shape: 400 bad body, 403 a foreign origin or host,
  404 no such path, 405 wrong method, 413 body too large.

Only the configured origins may call it (CORS, with preflight and Chrome's Private Network
Access header); a request with another Origin, or a Host other than this service's own
(DNS rebinding), is refused with 403.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from gaokao.idcard.protocol import PortUnavailable, ReaderError, ReaderTimeout
from gaokao.idcard.reader import Reader
from gaokao.idcard.simulator import SimulatorServer

logger = logging.getLogger(__name__)

SIMULATED = "sim"
DEFAULT_LISTEN = "127.0.0.1:8765"
MAX_BODY = 4096
LANGUAGE = "zh-hans"


class ReaderBusy(ReaderError):
    code = "busy"
    default_message = _("The reader is busy with another read. Try again in a moment.")


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` on the loopback interface; anything else raises ValueError."""
    host, sep, port = listen.rpartition(":")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        if not sep or ipaddress.IPv4Address(host) not in ipaddress.IPv4Network("127.0.0.0/8"):
            raise ValueError
        number = int(port)
        if not 0 <= number <= 65535:
            raise ValueError
    except ValueError:
        raise ValueError(
            str(_("The bridge listens on the loopback interface only, e.g. 127.0.0.1:8765."))
        ) from None
    return host, number


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, as browsers send it in the Origin header."""
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        message = _("%(origin)s is not an origin such as http://127.0.0.1:8000.")
        raise ValueError(message % {"origin": origin})
    return f"{parts.scheme}://{parts.netloc}".lower()


class ReaderService:
    """The one reader the bridge drives: opened on first use, reopened after the port
    failed, and used by one request at a time."""

    def __init__(self, url: str, *, timeout: float = 3.0) -> None:
        self.url = url
        self.timeout = timeout
        self._lock = threading.Lock()
        self._reader: Reader | None = None

    def run(self, action):
        # Refuse rather than queue: a second click must not read the next card.
        if not self._lock.acquire(blocking=False):
            raise ReaderBusy()
        try:
            if self._reader is None:
                self._reader = Reader(self.url, timeout=self.timeout)
            try:
                return action(self._reader)
            except (ReaderTimeout, PortUnavailable):
                self._close()
                raise
        finally:
            self._lock.release()

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self, timeout: float = 5.0) -> None:
        """Close the port, waiting at most ``timeout`` for a read under way to finish."""
        acquired = self._lock.acquire(timeout=timeout)
        try:
            self._close()
        finally:
            if acquired:
                self._lock.release()


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, service: ReaderService, origins, simulator=None) -> None:
        self.service = service
        self.origins = frozenset(origins)
        self.simulator = simulator
        self._thread: threading.Thread | None = None
        super().__init__(address, BridgeHandler)
        host, port = self.server_address[:2]
        self.hosts = frozenset({f"{host}:{port}", f"localhost:{port}"})

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> threading.Thread:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="idcard-bridge",
            daemon=True,
        )
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving, close the port and the simulator; bounded by ``timeout``."""
        if self._thread is not None:
            # shutdown() waits for serve_forever's loop, which the thread does start.
            self.shutdown()
            self._thread.join(timeout)
            self._thread = None
        self.server_close()
        self.service.close()
        if self.simulator is not None:
            self.simulator.stop()


class BridgeHandler(BaseHTTPRequestHandler):
    server: BridgeServer
    server_version = "gaokao-idcard-bridge"
    sys_version = ""
    timeout = 10  # seconds a client may take to send its request

    # ── dispatch ──

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    ROUTES = {"/status": "GET", "/read": "POST"}

    def _dispatch(self, method: str) -> None:
        with translation.override(LANGUAGE):
            try:
                self._handle(method)
            except Exception:
                logger.exception("reader bridge: %s %s failed", method, self.path)
                self._error(
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    "internal",
                    _("The reader bridge failed unexpectedly. Try again."),
                )

    def _handle(self, method: str) -> None:
        self.origin = self.headers.get("Origin")
        host = self.headers.get("Host")
        if host is not None and host.lower() not in self.server.hosts:
            self.origin = None
            return self._error(HTTPStatus.FORBIDDEN, "forbidden_host", _("Unknown host name."))
        if self.origin is not None and self.origin.lower() not in self.server.origins:
            self.origin = None
            return self._error(
                HTTPStatus.FORBIDDEN,
                "forbidden_origin",
                _("This page may not use the ID-card reader."),
            )
        path = urlsplit(self.path).path
        allowed = self.ROUTES.get(path)
        if allowed is None:
            return self._error(HTTPStatus.NOT_FOUND, "not_found", _("No such page."))
        if method == "OPTIONS":
            return self._preflight(allowed)
        if method != allowed:
            return self._error(
                HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", _("Wrong request method.")
            )
        if method == "POST" and not self._body_ok():
            return
        if path == "/status":
            self._run(self._status)
        else:
            self._run(lambda reader: {"ok": True, "card": reader.read_card().to_json()})

    def _status(self, reader: Reader) -> dict:
        reader.sam_status()
        return {
            "ok": True,
            "sam_id": reader.sam_id(),
            "simulated": self.server.simulator is not None,
        }

    def _run(self, action) -> None:
        try:
            payload = self.server.service.run(action)
        except ReaderError as e:
            logger.info("reader bridge: %s", e.code)
            payload = {"ok": False, "code": e.code, "error": str(e.message)}
        self._send(HTTPStatus.OK, payload)

    def _body_ok(self) -> bool:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._error(HTTPStatus.BAD_REQUEST, "bad_request", _("The request is malformed."))
            return False
        if length > MAX_BODY:
            self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", _("The request is too large.")
            )
            return False
        body = self.rfile.read(length) if length else b""
        if body.strip():
            try:
                ok = isinstance(json.loads(body), dict)
            except (ValueError, RecursionError):  # "[[[[…" nested too deep
                ok = False
            if not ok:
                self._error(
                    HTTPStatus.BAD_REQUEST,
                    "bad_request",
                    _("The request body must be a JSON object."),
                )
                return False
        return True

    # ── responses ──

    def _preflight(self, allowed: str) -> None:
        if self.origin is None:
            return self._error(
                HTTPStatus.FORBIDDEN,
                "forbidden_origin",
                _("This page may not use the ID-card reader."),
            )
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors_headers()
        self.send_header("Access-Control-Allow-Methods", f"{allowed}, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Access-Control-Max-Age", "600")
        if self.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
            self.send_header("Access-Control-Allow-Private-Network", "true")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _cors_headers(self) -> None:
        if self.origin is not None:
            self.send_header("Access-Control-Allow-Origin", self.origin)
        self.send_header("Vary", "Origin")

    def _error(self, status: HTTPStatus, code: str, message) -> None:
        self._send(status, {"ok": False, "code": code, "error": str(message)})

    def _send(self, status: HTTPStatus, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self._cors_headers()
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        logger.debug("reader bridge: " + format, *args)


def start_bridge(
    port_url_or_sim: str,
    listen: str = DEFAULT_LISTEN,
    origins=("http://127.0.0.1:8000",),
    *,
    timeout: float = 3.0,
) -> tuple[BridgeServer, threading.Thread]:
    """Start the bridge in a daemon thread; ``port_url_or_sim`` is a pyserial URL or "sim"
    for an in-process simulated reader. Stop it with ``server.stop()``.

    Raises ValueError for a listen address off the loopback interface or a bad origin, and
    OSError when the address is taken.
    """
    host, port = parse_listen(listen)
    allowed = [normalise_origin(o) for o in origins]
    if not allowed:
        raise ValueError(str(_("Name at least one origin allowed to use the reader.")))
    simulator = None
    url = port_url_or_sim
    if port_url_or_sim == SIMULATED:
        simulator = SimulatorServer().start()
        url = simulator.url
    try:
        server = BridgeServer((host, port), ReaderService(url, timeout=timeout), allowed, simulator)
    except BaseException:
        if simulator is not None:
            simulator.stop()
        raise
    return server, server.start()
