"""Real processes for the tests of the point client: the central server (`gaokao
runserver`, a data directory and SQLite of its own) and `gaokao` commands in client or
server mode, each with its own environment. Whatever database the test session uses
(DATABASE_URL may point to PostgreSQL), these processes keep to their SQLite files.

Used by test_network_faults.py and the browser journeys gaokao/e2e/test_point_client.py and
gaokao/e2e/test_issue20_two_pcs_journey.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pyotp

BIN = Path(sys.executable).parent
GAOKAO = str(BIN / "gaokao")
ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = "gaokao.client.tests.netfault_scripts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(data_dir: Path, mode: str, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "GAOKAO_DATA_DIR": str(data_dir),
            "GAOKAO_MODE": mode,
            "DJANGO_SETTINGS_MODULE": "gaokao.settings",
            "PYTHONPATH": str(ROOT),
        }
        | extra
    )
    return env


def run(args, env, *, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, env=env, input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def last_json(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def query(database: Path, sql: str, *params):
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        return db.execute(sql, params).fetchall()


def end(process: subprocess.Popen) -> None:
    """SIGTERM, as a service manager stops it; SIGKILL if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Until `url` answers (any HTTP status); fails with the process's log if it ends or
    the time runs out (system checks and migrations are slow on a busy machine)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310 (http on loopback)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"{url} did not answer:\n{log.read_text()}") from None
            time.sleep(0.2)


class CentralServer:
    """The central server on a loopback port of its own. `stop()` is the power or the
    network going out at the centre; `start()` again brings it back on the same port with
    the same database."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "server"
        self.db = self.data / "gaokao.sqlite3"
        self.env = environment(self.data, "server")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    def set_up(self) -> dict:
        """Migrates the database; a point in its main window, its number range and a
        verified point account (netfault_scripts server-setup): that account, as JSON."""
        run([GAOKAO, "migrate", "-v0"], self.env)
        return last_json(run([sys.executable, "-m", SCRIPTS, "server-setup"], self.env))

    def start(self) -> None:
        self._log = open(self.log_path, "a")  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen(
            [GAOKAO, "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"{self.url}/api/v1/openapi.json", self.process, self.log_path)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is not None:
            end(self.process)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class PointClient:
    """The point's PC: its own data directory and SQLite, GAOKAO_MODE=client. A second PC
    of the same point is another `name` (its own folder, port and reader bridge port)."""

    def __init__(self, folder: Path, name: str = "client"):
        self.data = folder / name
        self.db = self.data / "gaokao.sqlite3"
        self.reader_url = f"http://127.0.0.1:{free_port()}"
        self.env = environment(self.data, "client", GAOKAO_READER_URL=self.reader_url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.enrolled_output = ""

    def enrol(
        self,
        server: str,
        account: dict,
        device_name: str = "报名点电脑1",
        *,
        code: str | None = None,
    ) -> str:
        """`gaokao client enrol` as the point's staff type it (with the authenticator's
        current code unless `code` is given: a code works once); returns the key of this
        PC's own authenticator entry, which the command prints."""
        code = code or pyotp.TOTP(account["totp_secret"]).now()
        enrolled = run(
            [
                GAOKAO,
                "client",
                "enrol",
                "--server",
                server,
                "--username",
                account["username"],
                "--device-name",
                device_name,
                "--password-stdin",
            ],
            self.env,
            stdin=f"{account['password']}\n{code}\n",
        )
        assert account["point"] in enrolled.stdout, enrolled.stdout
        self.enrolled_output = enrolled.stdout
        return re.search(r"secret=([A-Z2-7]+)", enrolled.stdout)[1]

    def serve(self, every: float = 5) -> None:
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [
                    GAOKAO,
                    "client",
                    "serve",
                    "--addrport",
                    f"127.0.0.1:{self.port}",
                    "--every",
                    str(every),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_http(f"{self.url}/office/login/", self.process, self.log_path, seconds=120)

    def run(self, every: float = 5, reader: str = "sim") -> None:
        """`gaokao client run`, the point's one window: waitress, the reader bridge (the
        simulated reader by default) on this PC's own bridge port, and the sync loop."""
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [
                    GAOKAO,
                    "client",
                    "run",
                    "--port",
                    str(self.port),
                    "--reader",
                    reader,
                    "--every",
                    str(every),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_http(f"{self.url}/office/login/", self.process, self.log_path, seconds=120)

    def stop(self) -> None:
        if self.process is not None:
            end(self.process)
            self.process = None

    def pending(self) -> int:
        return query(self.db, "SELECT COUNT(*) FROM client_outbox WHERE state = 'pending'")[0][0]

    def last_sync(self) -> tuple[bool | None, str]:
        [(ok, result)] = query(
            self.db, "SELECT last_sync_ok, last_sync_result FROM client_clientstate"
        )
        return ok, result
