"""No personal data in a browser's or a proxy's cache (issue 18 §3): every URL of the site,
opened by every visitor its rule lets in, answers with `Cache-Control: no-store`; the files
among them (PDFs, spreadsheets, photos, ZIPs) are listed, so a new file view is covered the
day it is added. The world and the visitors are the authorization sweep's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gaokao.tests.authz_rules import OK, RULES
from gaokao.tests.test_authz_sweep import (
    build_world,
    call,
    sample_kwargs,
    sign_in_clients,
    swept,
)

pytestmark = pytest.mark.django_db

PAGE_TYPES = ("text/html", "application/json", "text/plain")


def is_file(response) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    return "Content-Disposition" in response or content_type not in PAGE_TYPES


@pytest.fixture
def world(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world(settings, tmp_path)


def test_e3_every_response_and_every_file_is_sent_with_no_store(world):
    clients = sign_in_clients(world)
    problems, files = [], set()
    for name, _route, pattern in swept():
        rule = RULES.get(name)
        if rule is None or rule.area == "api" or rule.post_only:
            continue
        url = reverse(name, kwargs=sample_kwargs(name, pattern, world)) if pattern.name else "/"
        for actor, client in clients.items():
            if rule.expected(actor) != OK:
                continue
            response = call(client, "GET", url)
            if not isinstance(response.status_code, int):
                continue  # the sweep reports a view that breaks
            if response.status_code == 200 and is_file(response):
                files.add(name)
            cache = {part.strip() for part in response.get("Cache-Control", "").split(",")}
            if "no-store" not in cache:
                problems.append(f"GET {url} as {actor}: Cache-Control {sorted(cache)}")
    assert not problems, "\n".join(problems)
    # The files this walk must have met (the login cards and the proofreading sheets are
    # made by a POST, which the walk does not send; their views' own tests check them).
    assert files >= {
        "candidates:review_form",
        "exports:csv",
        "exports:photos",
        "exports:xlsx",
        "notices:attachment",
        "payments-office:export",
        "photos:image",
        "photos:original",
        "portal:proofreading-pdf",
        "results:template",
    }, sorted(files)


def test_e3_static_files_stay_cacheable(client):
    response = client.get("/static/gaokao/confirm.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
