"""R4, E5 with real processes and a real network path: a central server (`gaokao
runserver`, its own data directory and SQLite), a point client (GAOKAO_MODE=client,
another data directory and SQLite) and, between them on loopback, a TCP proxy in this
test that cuts connections: after part of a request, or after the server has answered
but before the answer reaches the client. Whatever is cut, the client loses nothing and
the server applies every change and photo exactly once.

Takes about half a minute (two databases are migrated, two servers started).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pyotp
import pytest

from gaokao.client.tests.processes import (
    GAOKAO,
    ROOT,
    SCRIPTS,
    CentralServer,
    environment,
    free_port,
    last_json,
    query,
    run,
)

# Separate processes on their own SQLite files: DATABASE_URL plays no part, so the
# PostgreSQL pass of CI leaves them out (.ci/run).
pytestmark = pytest.mark.processes


@pytest.fixture(autouse=True)
def clock():
    """Real time here: the processes' clocks and the authenticator code must agree."""
    yield


class CuttingProxy:
    """Forwards loopback TCP connections to `target`, one plan per connection, in order:
    None passes through; ("request", n) forwards n bytes of the request and cuts both
    sides; ("response", n) forwards the whole request, then n bytes of the answer, and
    cuts (n=0: the server did the work, the client never hears of it)."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.plans: list = []
        self.seen: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def plan(self, *plans) -> None:
        with self.lock:
            self.plans = list(plans)

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                plan = self.plans.pop(0) if self.plans else None
            threading.Thread(target=self._serve, args=(downstream, plan), daemon=True).start()

    def _serve(self, downstream: socket.socket, plan) -> None:
        upstream = socket.create_connection(self.target)
        cut = threading.Event()
        request_limit = plan[1] if plan and plan[0] == "request" else None
        response_limit = plan[1] if plan and plan[0] == "response" else None
        first_line = bytearray()

        def pump(source, sink, limit, record_line):
            sent = 0
            try:
                while not cut.is_set():
                    data = source.recv(65536)
                    if not data:
                        break
                    if record_line and len(first_line) < 200:
                        first_line.extend(data[:200])
                    if limit is not None and sent + len(data) >= limit:
                        sink.sendall(data[: limit - sent])
                        cut.set()
                        break
                    sink.sendall(data)
                    sent += len(data)
            except OSError:
                pass
            finally:
                if limit is not None or cut.is_set():
                    for s in (downstream, upstream):
                        with contextlib.suppress(OSError):
                            s.shutdown(socket.SHUT_RDWR)
                else:
                    with contextlib.suppress(OSError):
                        sink.shutdown(socket.SHUT_WR)

        up = threading.Thread(target=pump, args=(downstream, upstream, request_limit, True))
        down = threading.Thread(target=pump, args=(upstream, downstream, response_limit, False))
        up.start()
        down.start()
        up.join()
        down.join()
        downstream.close()
        upstream.close()
        line = bytes(first_line).split(b"\r\n", 1)[0].decode("latin-1")
        with self.lock:
            self.seen.append(f"{line} {plan or ''}".strip())

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def central(tmp_path):
    """The central server, started with `gaokao runserver` on a free loopback port."""
    server = CentralServer(tmp_path)
    setup = server.set_up()
    server.start()
    try:
        yield {"port": server.port, "db": server.db, "env": server.env, **setup}
    finally:
        server.stop()


def test_r4_e5_cut_connections_lose_nothing_and_apply_nothing_twice(central, tmp_path):
    proxy = CuttingProxy(central["port"])
    client_env = environment(tmp_path / "client", "client")
    client_db = tmp_path / "client" / "gaokao.sqlite3"
    server_db = central["db"]
    server_env = central["env"]
    gaokao_client = [GAOKAO, "client"]
    scripts = SCRIPTS

    def sync(*plans) -> subprocess.CompletedProcess:
        proxy.plan(*plans)
        return run([*gaokao_client, "sync"], client_env, check=False)

    def outbox() -> list[tuple]:
        return query(client_db, "SELECT kind, state, sent_at IS NOT NULL FROM client_outbox")

    try:
        # Enrolment through the proxy: the account's password and authenticator code.
        code = pyotp.TOTP(central["totp_secret"]).now()
        enrolled = run(
            [
                *gaokao_client,
                "enrol",
                "--server",
                f"http://127.0.0.1:{proxy.port}",
                "--username",
                central["username"],
                "--device-name",
                "教务处电脑1",
                "--password-stdin",
            ],
            client_env,
            stdin=f"{central['password']}\n{code}\n",
        )
        assert central["point"] in enrolled.stdout
        # Offline work at the point: three candidates from the reader, one photo.
        work = last_json(
            run(
                [sys.executable, "-m", scripts, "take-in", "3"],
                client_env,
            )
        )
        assert sorted(outbox()) == [("change", "pending", 0)] * 3 + [("photo", "pending", 0)]

        # 1. The server applies the push; the answer is cut before any byte of it arrives.
        first = sync(("response", 0))
        assert first.returncode != 0 and "无法连接服务器" in first.stderr  # the message, in Chinese
        assert query(server_db, "SELECT COUNT(*) FROM candidates_candidate")[0][0] == 3
        assert sorted(outbox()) == [("change", "pending", 1)] * 3 + [("photo", "pending", 0)]

        # 2. The resend is answered as duplicates; then the photo is cut 100 kB into its
        #    first piece.
        second = sync(None, None, None, ("request", 100_000))
        assert second.returncode != 0
        assert outbox() == [("photo", "pending", 1)]
        received = query(server_db, "SELECT received FROM sync_photoupload")[0][0]
        assert received < 256 * 1024

        # 3. The answer to the status request is cut halfway through.
        third = sync(("response", 40))
        assert third.returncode != 0 and "被截断" in third.stderr  # "cut short", in Chinese

        # 4. The network is back: the photo resumes where the server got to.
        fourth = sync()
        assert fourth.returncode == 0, fourth.stderr

        assert outbox() == []
        candidates = query(
            server_db,
            "SELECT id, registration_number, version FROM candidates_candidate"
            " ORDER BY registration_number",
        )
        assert [number for _, number, _ in candidates] == sorted(work["numbers"])
        assert {version for *_, version in candidates} == {1}
        assert query(server_db, "SELECT COUNT(*), MIN(status) FROM sync_receipt") == [
            (3, "applied")
        ]
        audit = "SELECT COUNT(*) FROM audit_auditevent WHERE action = ?"
        assert query(server_db, audit, "sync.applied") == [(3,)]
        upload = query(server_db, "SELECT received, size, photo_id FROM sync_photoupload")
        assert upload[0][0] == upload[0][1] and upload[0][2] is not None
        photos = query(server_db, "SELECT original_sha256 FROM photos_candidatephoto")
        assert photos == [(work["photo_sha256"],)]

        # The photo went from 0 (cut), then from where the server had got to; never twice.
        puts = [line.split("?offset=")[1].split()[0] for line in proxy.seen if "PUT " in line]
        assert puts == ["0", str(received)]
        status = run([*gaokao_client, "status"], client_env).stdout
        assert "等待上传：0 条修改，0 张相片" in status and "需要处理：0" in status

        # 5. The deadline passes on the server while this PC, offline, takes one more
        #    candidate in: sync refuses it now, so it goes on a disc to the county (E5).
        run([sys.executable, "-m", scripts, "close-window"], server_env)
        late = last_json(run([sys.executable, "-m", scripts, "take-in", "1", "20"], client_env))
        refused = sync()
        assert refused.returncode == 0, refused.stderr  # answered: it is not a network fault
        assert outbox() == [("change", "attention", 1)]
        key = run([GAOKAO, "bundles", "public-key"], server_env).stdout.strip()
        disc = tmp_path / "数据盘.gkb"
        exported = run(
            [*gaokao_client, "export", str(disc), "--server-key", key], client_env
        ).stdout
        assert "1 条修改" in exported
        imported = last_json(run([sys.executable, "-m", scripts, "import", str(disc)], server_env))
        assert imported["counts"]["applied"] == 1, imported
        assert sync().returncode == 0  # the same change id again: a duplicate, applied once
        assert outbox() == []
        numbers = query(server_db, "SELECT registration_number FROM candidates_candidate")
        assert sorted(numbers) == sorted((n,) for n in [*work["numbers"], *late["numbers"]])
        assert query(server_db, "SELECT COUNT(*) FROM sync_receipt WHERE via = 'bundle'") == [(1,)]
        reopen = "UPDATE seasons_phase SET ends_at = ? WHERE kind = 'main'"
        query(server_db, reopen, "2099-01-01 00:00:00")
        assert sync().returncode == 0  # …and the client learns of the reopened window

        # 6. `gaokao client serve`: the office web on loopback, syncing in the background.
        port = free_port()
        serving = subprocess.Popen(
            [*gaokao_client, "serve", "--addrport", f"127.0.0.1:{port}", "--every", "5"],
            env=client_env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            later = last_json(
                run(
                    [sys.executable, "-m", scripts, "take-in", "1", "10"],
                    client_env,
                )
            )
            deadline = time.monotonic() + 60
            while outbox() and time.monotonic() < deadline:
                time.sleep(0.5)
            assert outbox() == []
            numbers = query(server_db, "SELECT registration_number FROM candidates_candidate")
            assert (later["numbers"][0],) in numbers and len(numbers) == 5
            # The sync thread may finish before the web server has bound its port (system
            # checks on a busy machine): wait for it.
            deadline = time.monotonic() + 60
            while True:
                try:
                    page = urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/office/login/", timeout=5
                    )
                    break
                except OSError:
                    if time.monotonic() > deadline or serving.poll() is not None:
                        raise
                    time.sleep(0.5)
            assert page.status == 200
        finally:
            serving.terminate()
            serving.wait(timeout=10)
    finally:
        proxy.close()
