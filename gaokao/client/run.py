"""`gaokao client run`: the whole point client in one window (issue 20).

One process serves the client's office web with waitress (a production WSGI server that
runs on Windows and Linux, unlike Django's development server), runs the ID-card reader
bridge the intake page calls (gaokao.idcard.bridge) and syncs with the central server in
the background. Ctrl+C (or SIGTERM) stops all three.

It also looks for work the old default data folder would strand: before issue 20 a client
kept its data in ./var of whatever folder its window was opened in; now it keeps it in one
folder of the user's (settings.DATA_DIR).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from gaokao.client.enrolment import key_path

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8001


def stranded_folder(cwd: Path | None = None) -> Path | None:
    """A point client's data folder where the old default (./var) put it, when this client
    uses another one; None when there is none (or GAOKAO_DATA_DIR chooses the folder)."""
    if os.environ.get("GAOKAO_DATA_DIR"):
        return None
    old = ((cwd or Path.cwd()) / "var").resolve()
    if old == Path(settings.DATA_DIR).resolve():
        return None
    if (old / key_path().relative_to(settings.DATA_DIR)).exists():
        return old
    return None


def stranded_message(old: Path) -> str:
    return _(
        "A point client's data folder from an earlier version is in %(old)s, but this client"
        " now keeps its data in %(new)s. If that folder holds work not yet sent: stop this"
        " client, move the contents of %(old)s into %(new)s (replacing what is there) and"
        " start again; or keep using the old folder by setting GAOKAO_DATA_DIR=%(old)s."
    ) % {"old": old, "new": settings.DATA_DIR}


def reader_listen() -> str:
    """host:port of the bridge, from where the office page looks for it."""
    parts = urlsplit(settings.GAOKAO_READER_URL)
    return f"{parts.hostname or LOOPBACK}:{parts.port or 80}"


@dataclass
class Started:
    """What `start` started, for the window's text and for `stop`."""

    url: str
    server: object  # waitress's server
    bridge: object | None
    bridge_line: str
    worker: threading.Thread
    stop_sync: threading.Event

    def stop(self) -> None:
        self.stop_sync.set()
        self.server.close()
        if self.bridge is not None:
            self.bridge.stop()
        self.worker.join(timeout=5)


def make_server(port: int):
    """waitress on the loopback interface: the client serves this PC only. Binds now, so
    a port in use fails here with OSError."""
    from django.core.wsgi import get_wsgi_application
    from waitress import create_server

    return create_server(
        get_wsgi_application(), host=LOOPBACK, port=port, threads=8, ident="gaokao-client"
    )


def start_bridge(reader: str | None, origins: list[str]):
    """(bridge or None, the line the window shows about the reader)."""
    if not reader:
        return None, _(
            "ID-card reader: none configured. Start with --reader COM3 (the reader's port;"
            " /dev/ttyUSB0 on Linux) or set GAOKAO_READER_PORT; --reader sim for the"
            " simulated reader."
        )
    from gaokao.idcard.bridge import SIMULATED
    from gaokao.idcard.bridge import start_bridge as start

    try:
        bridge, _thread = start(reader, reader_listen(), origins)
    except (OSError, ValueError) as e:
        return None, _("ID-card reader bridge not started: %(error)s") % {"error": e}
    if reader == SIMULATED:
        line = _("ID-card reader bridge (simulated reader): %(url)s")
    else:
        line = _("ID-card reader bridge (reader %(port)s): %(url)s")
    return bridge, line % {"port": reader, "url": bridge.url}


def start(port: int, reader: str | None, sync_loop) -> Started:
    """The web server (bound, not yet serving), the bridge and the sync thread;
    `sync_loop(stop_event)` is the loop the thread runs. Call `.server.run()` to serve."""
    server = make_server(port)
    url = f"http://{LOOPBACK}:{port}"
    try:
        bridge, line = start_bridge(reader, [url, f"http://localhost:{port}"])
    except BaseException:
        server.close()
        raise
    stop_sync = threading.Event()
    worker = threading.Thread(
        target=sync_loop, args=(stop_sync,), name="gaokao-client-sync", daemon=True
    )
    worker.start()
    return Started(url, server, bridge, line, worker, stop_sync)


def quiet_logs() -> None:
    """One window for people: warnings only, unless LOG_LEVEL asks for more."""
    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)
