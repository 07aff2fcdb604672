"""Makes the screenshots of docs/point-guide.md from a running point client (issue 20):

    .venv/bin/python -m gaokao.client.tests.point_guide_shots [FOLDER]

A central server and a point PC as the client tests run them (processes.py), the PC
started with `gaokao client run --reader sim`, then Debian's Chromium: the sign-in page,
a card read, the work waiting to sync while the centre is down. Small PNGs (a 1000×680
window, 256 colours) in docs/screenshots/point-guide/ unless FOLDER is given.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyotp
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from gaokao.client.tests.processes import (
    GAOKAO,
    ROOT,
    CentralServer,
    PointClient,
    free_port,
    wait_for_http,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def small(path: Path) -> None:
    """256 colours: a screenshot of a page keeps its text sharp and a tenth of the size."""
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        server = CentralServer(folder)
        account = server.set_up()
        server.start()
        client = PointClient(folder)
        secret = client.enrol(server.url, account)
        reader = free_port()
        env = client.env | {"GAOKAO_READER_URL": f"http://127.0.0.1:{reader}"}
        log = folder / "run.log"
        port = str(client.port)
        command = [GAOKAO, "client", "run", "--reader", "sim", "--every", "5", "--port", port]
        with open(log, "w") as window:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=window,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_http(f"{client.url}/office/login/", process, log, seconds=120)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=ARGS, headless=True
                )
                page = browser.new_page(viewport={"width": 1000, "height": 680})

                def shot(name: str) -> None:
                    page.screenshot(path=out / f"{name}.png")
                    small(out / f"{name}.png")

                page.goto(f"{client.url}/office/login/")
                page.get_by_label("用户名").fill(account["username"])
                shot("login")
                page.get_by_label("密码").fill(account["password"])
                page.get_by_role("button", name="登录").click()
                page.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
                page.get_by_role("button", name="登录").click()
                expect(page.get_by_test_id("signed-in-as")).to_be_visible()

                page.goto(f"{client.url}/office/candidates/intake/")
                page.locator("select").first.select_option("5")
                rows = page.locator("[data-role=rows] tr")
                for n in range(1, 3):
                    page.locator("[data-action=read]").click()
                    expect(rows).to_have_count(n)
                shot("read-card")

                server.stop()  # the centre goes down: the work waits on the PC
                time.sleep(12)  # a sync fails meanwhile
                page.get_by_role("link", name="待同步").click()
                expect(page.get_by_test_id("pending-changes")).to_be_visible()
                shot("waiting-to-sync")
                browser.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/screenshots/point-guide")
