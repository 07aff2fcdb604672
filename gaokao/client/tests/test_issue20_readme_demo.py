"""Issue 20, item 7: the README's demo path for the point client works as written. The
commands are read from README.md ("To try it with the demo") and run in order, as the
reader would in a second terminal, against the demo server (`gaokao demo`, what bin/demo
runs) on ports of this test's own: enrol with the code `gaokao demo --code` prints, start
the client with `gaokao client run`, get the code of the PC's own authenticator entry,
then the server goes away and comes back and `gaokao client sync` reaches it.

Real processes; about a minute.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess

import pyotp
import pytest

from gaokao.client.tests.processes import (
    GAOKAO,
    ROOT,
    end,
    environment,
    free_port,
    query,
    run,
    wait_for_http,
)

# Separate processes on their own SQLite files: DATABASE_URL plays no part, so the
# PostgreSQL pass of CI leaves them out (.ci/run).
pytestmark = pytest.mark.processes

SECTION = "To try it with the demo:"
PASSWORD = "Demo-point-2026!"  # the password chosen at the first sign-in
FIRST_SIGN_IN = """
from django.utils import timezone
import pyotp
from gaokao.accounts.models import StaffUser

user = StaffUser.objects.get(username="demo-furong-point")
user.set_password(%r)
user.totp_secret = pyotp.random_base32()
user.real_name_verified_at = timezone.now()
user.save()
"""


@pytest.fixture(autouse=True)
def clock():
    """Real time here: the processes' clocks and the authenticator code must agree."""
    yield


def readme_commands() -> tuple[str, list[str]]:
    """(the paragraph before the block, the block's commands without comments)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", after, re.DOTALL)[1]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return after[: after.index("```sh")], [line for line in lines if line]


class Demo:
    """The demo server, as bin/demo runs it, on a port of its own."""

    def __init__(self, folder, extra_args: list[str]):
        self.env = environment(folder / "var", "server")
        self.env.pop("GAOKAO_MODE")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [GAOKAO, "demo", *extra_args, "--addrport", f"127.0.0.1:{self.port}"]
        self.log = folder / "demo.log"
        self.process = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                self.args, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for_http(f"{self.url}/office/login/", self.process, self.log, seconds=180)

    def stop(self) -> None:
        if self.process is not None:
            end(self.process)
            self.process = None


def test_r4_issue20_the_readmes_point_client_demo_path_works_as_written(tmp_path):
    before, commands = readme_commands()
    assert "bin/demo --no-reader" in before
    assert [shlex.split(c)[:3] for c in commands] == [
        [".venv/bin/gaokao", "demo", "--code"],
        ["export", "GAOKAO_DATA_DIR=/tmp/gaokao-demo-client"],
        [".venv/bin/gaokao", "client", "enrol"],
        [".venv/bin/gaokao", "client", "run"],
    ]

    demo = Demo(tmp_path, ["--no-reader"])
    demo.start()
    try:
        # The first sign-in in the office web: real-name authentication, a new password,
        # the authenticator app.
        run([GAOKAO, "shell", "-c", FIRST_SIGN_IN % PASSWORD], demo.env)

        def gaokao(command: str, env: dict, **kwargs) -> list[str]:
            args = shlex.split(command.replace("http://127.0.0.1:8000", demo.url))
            return [GAOKAO if args[0] == ".venv/bin/gaokao" else args[0], *args[1:]]

        # The second terminal: in the repository's folder, as the demo server is.
        terminal = {k: v for k, v in demo.env.items()}
        code = run(gaokao(commands[0], terminal), terminal).stdout.strip()
        assert re.fullmatch(r"\d{6}", code), code

        name, value = commands[1].split(" ", 1)[1].split("=", 1)
        client_data = tmp_path / "gaokao-demo-client"
        assert value == "/tmp/gaokao-demo-client"  # noqa: S108 (the README's own)
        terminal[name] = str(client_data)  # this test's own folder for /tmp/gaokao-demo-client

        enrolled = subprocess.run(
            gaokao(commands[2], terminal),
            env=terminal,
            input=f"{PASSWORD}\n{code}\n",  # typed at the prompts
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            start_new_session=True,  # no terminal: getpass reads the typed line
        )
        assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
        assert "0102001" in enrolled.stdout

        port, reader = free_port(), free_port()
        window = tmp_path / "client-run.log"
        run_env = terminal | {"GAOKAO_READER_URL": f"http://127.0.0.1:{reader}"}
        with open(window, "w") as log:
            client = subprocess.Popen(
                [*gaokao(commands[3], run_env), "--port", str(port)],
                env=run_env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/office/login/", client, window, seconds=120)

            # The third terminal, same GAOKAO_DATA_DIR: the code of the PC's own entry.
            own = run(gaokao(commands[0], terminal), terminal).stdout.strip()
            [(secret,)] = query(
                client_data / "gaokao.sqlite3",
                "SELECT totp_secret FROM accounts_staffuser WHERE username = ?",
                "demo-furong-point",
            )
            assert pyotp.TOTP(secret).verify(own, valid_window=1)

            # The demo server stops and starts again; the client syncs.
            demo.stop()
            demo.start()
            synced = run([GAOKAO, "client", "sync"], terminal)
            assert synced.returncode == 0, synced.stderr
        finally:
            client.send_signal(signal.SIGINT)
            try:
                assert client.wait(timeout=30) == 0, window.read_text()
            finally:
                if client.poll() is None:
                    client.kill()
    finally:
        demo.stop()
