"""Issue 20, item 6: one start for a school PC. `gaokao client run` is the point's one
window: waitress serves the client's office web, the reader bridge answers the intake page,
sync runs meanwhile, and Ctrl+C stops them all. `gaokao client …` is a client by itself
(no GAOKAO_MODE), in one fixed data folder of the user's, and says so when work of the old
default folder (./var) would be stranded.

Real processes (gaokao.client.tests.processes): a central server and a client, each with
its own database; about half a minute.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from gaokao.client.tests.processes import (
    GAOKAO,
    ROOT,
    CentralServer,
    PointClient,
    environment,
    free_port,
    run,
    wait_for_http,
)

# Separate processes on their own SQLite files: DATABASE_URL plays no part, so the
# PostgreSQL pass of CI leaves them out (.ci/run).
pytestmark = pytest.mark.processes

SYNC_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", re.MULTILINE)


@pytest.fixture(autouse=True)
def clock():
    """Real time here: the processes' clocks and the authenticator code must agree."""
    yield


def closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_r4_issue20_client_run_serves_web_and_reader_in_one_window_and_stops_on_ctrl_c(tmp_path):
    server = CentralServer(tmp_path)
    account = server.set_up()
    server.start()
    try:
        client = PointClient(tmp_path)
        client.enrol(server.url, account)
        reader_port = free_port()
        env = environment(
            client.data, "client", GAOKAO_READER_URL=f"http://127.0.0.1:{reader_port}"
        )
        log = tmp_path / "run.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                [
                    GAOKAO,
                    "client",
                    "run",
                    "--port",
                    str(client.port),
                    "--reader",
                    "sim",
                    "--every",
                    "5",
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_http(f"{client.url}/office/login/", process, log, seconds=120)
            with urllib.request.urlopen(f"{client.url}/office/login/", timeout=10) as page:  # noqa: S310
                assert page.status == 200
                assert page.headers["Server"] == "gaokao-client"  # waitress, not runserver
            request = urllib.request.Request(
                f"http://127.0.0.1:{reader_port}/status",
                headers={"Origin": f"http://127.0.0.1:{client.port}"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                assert json.load(answer)["ok"] is True
            deadline = time.monotonic() + 60
            while not SYNC_LINE.search(log.read_text()) and time.monotonic() < deadline:
                time.sleep(0.5)
            window = log.read_text()
            assert f"{client.url}/office/" in window  # where to click
            assert f"http://127.0.0.1:{reader_port}" in window  # the reader bridge
            assert SYNC_LINE.search(window)  # a sync reported
            assert str(client.data) in window
            assert "runserver" not in window and "development server" not in window

            process.send_signal(signal.SIGINT)  # Ctrl+C
            assert process.wait(timeout=30) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert "已停止" in log.read_text()  # 报名点客户端已停止
        assert closed(client.port) and closed(reader_port)
    finally:
        server.stop()


def clean_environment(home: Path) -> dict[str, str]:
    """A point's console: neither GAOKAO_MODE nor GAOKAO_DATA_DIR, its own home."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GAOKAO_MODE", "GAOKAO_DATA_DIR", "DATABASE_URL", "SECRET_KEY")
        and not k.startswith("XDG_")
    }
    return env | {"HOME": str(home), "PYTHONPATH": str(ROOT)}


def test_r4_issue20_client_commands_are_a_client_in_the_users_data_folder(tmp_path):
    home = tmp_path / "home"
    elsewhere = tmp_path / "some-folder"
    elsewhere.mkdir(parents=True)
    env = clean_environment(home)
    result = subprocess.run(
        [GAOKAO, "client", "status"],
        env=env,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "gaokao client enrol" in result.stdout  # not enrolled yet
    folder = home / ".local" / "share" / "gaokao-client"
    assert (folder / "gaokao.sqlite3").is_file()
    assert not (elsewhere / "var").exists()  # no new, empty client where the window opened

    # The old default left a client's data in ./var of the folder the window opened in.
    (elsewhere / "var" / "client").mkdir(parents=True)
    (elsewhere / "var" / "client" / "device_ed25519.pem").write_text("old key")
    result = subprocess.run(
        [GAOKAO, "client", "status"],
        env=env,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert str(elsewhere / "var") in result.stderr
    assert str(folder) in result.stderr  # and how to move it there


def test_r4_issue20_a_central_server_still_refuses_the_client_commands(tmp_path):
    env = clean_environment(tmp_path) | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'central.sqlite3'}",
        "SECRET_KEY": "x",
    }
    result = run([GAOKAO, "client", "status"], env, check=False)
    assert result.returncode != 0
    assert "GAOKAO_MODE=client" in result.stderr
