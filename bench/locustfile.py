"""Simulated candidates for bench/portal_load.py (which starts locust with this file).

Each simulated user runs candidate sessions one after another, each with the next candidate
of the list in $PORTAL_BENCH_CANDIDATES (one registration number a line): the sign-in page,
sign-in with the login card's password, the status page, the data page, the proofreading
page, two saves of the data page with the confirmation password (each followed by the data
page it redirects to), and sign-out. By default no waiting between requests: the bench
measures the server's capacity, not a person's pace. With $PORTAL_BENCH_THINK (seconds) each
request is followed by a pause of 0.5–1.5 times that, as a person reading the page: then the
latencies are those a candidate sees at that load, not the queue of a saturated server.
Each user sends its own X-Forwarded-For address, as nginx would (the server trusts 127.0.0.1
as its proxy), so that no per-address limit applies to the whole load.
"""

import itertools
import os
import random
import re
import time
from pathlib import Path

from locust import HttpUser, task

NUMBERS = Path(os.environ["PORTAL_BENCH_CANDIDATES"]).read_text().split()
PORTAL_PASSWORD = os.environ["PORTAL_BENCH_PASSWORD"]
CONFIRMATION_PASSWORD = os.environ["PORTAL_BENCH_CONFIRMATION"]
THINK = float(os.environ.get("PORTAL_BENCH_THINK") or 0)
_next = itertools.count()
_address = itertools.count(1)
VERSION = re.compile(r'name="version" value="(\d+)"')

DATA = {
    "political_status": "03",
    "candidate_category": "1",
    "household_type": "1",
    "household_region": "430102",
    "graduation_type": "1",
    "school": "",
    "student_number": "",
    "proficiency_number": "2020430102",
    "foreign_language": "1",
    "disability_category": "0",
    "accommodations": "",
    "phone": "",
    "specialties": "长跑",
    "awards": "",
    "resume-TOTAL_FORMS": "1",
    "resume-INITIAL_FORMS": "0",
    "resume-MIN_NUM_FORMS": "0",
    "resume-MAX_NUM_FORMS": "12",
    "resume-0-start": "2014-09",
    "resume-0-end": "2017-06",
    "resume-0-school_or_employer": "长沙市第一中学",
    "resume-0-role": "学生",
    "family-TOTAL_FORMS": "1",
    "family-INITIAL_FORMS": "0",
    "family-MIN_NUM_FORMS": "0",
    "family-MAX_NUM_FORMS": "12",
    "family-0-name": "王建国",
    "family-0-relation": "父亲",
    "family-0-employer": "长沙市某公司",
    "family-0-phone": "13800000000",
}


class Candidate(HttpUser):
    def on_start(self):
        n = next(_address)
        self.client.headers["X-Forwarded-For"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    def think(self) -> None:
        if THINK:
            time.sleep(THINK * random.uniform(0.5, 1.5))  # noqa: S311 (pacing, not secrets)

    def get(self, path: str, name: str):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.headers.get('Location', '')}")
        self.think()
        return r

    def post(self, path: str, data: dict, name: str, expect: str):
        data = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), **data}
        with self.client.post(
            path, data, name=name, allow_redirects=False, catch_response=True
        ) as r:
            failed = r.status_code != 302 or not r.headers.get("Location", "").endswith(expect)
            if failed:
                r.failure(f"{r.status_code} {r.headers.get('Location', '')}")
        self.think()
        return None if failed else r

    @task
    def session(self):
        number = NUMBERS[next(_next) % len(NUMBERS)]
        self.client.cookies.clear()
        self.get("/ks/", "sign-in page")
        signed_in = self.post(
            "/ks/",
            {"registration_number": number, "password": PORTAL_PASSWORD},
            "sign in",
            "/ks/status/",
        )
        if signed_in is None:
            return
        self.get("/ks/status/", "status page")
        page = self.get("/ks/data/", "data page")
        self.get("/ks/proofreading/", "proofreading page")
        for n in range(2):
            version = VERSION.search(page.text or "")
            data = {
                **DATA,
                "version": version.group(1) if version else "0",
                "mobile": f"139{abs(hash(number)) % 10**8:08d}",
                "specialties": f"长跑 {n}",
                "confirmation_password": CONFIRMATION_PASSWORD,
            }
            if self.post("/ks/data/", data, "data save", "/ks/data/") is None:
                return
            page = self.get("/ks/data/", "data page")
        self.post("/ks/logout/", {}, "sign out", "/ks/")
