"""Web hardening (issue 10 §6): the browser-side headers, templates that run under a strict
Content-Security-Policy, production cookie settings, and a new session key at every
sign-in."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pyotp
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gaokao.testing.factories import CandidateFactory, SeasonFactory
from gaokao.web import reauth, security

GAOKAO = Path(__file__).resolve().parent.parent
MIDDLEWARE = "gaokao.web.security.SecurityHeadersMiddleware"
LOGIN_PASSWORD = "k7Pm3xQw9aZr"


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


# ── headers ────────────────────────────────────────────────────────────────────────────


def test_e3_pages_carry_the_policy_and_django_s_headers(db, client, settings):
    settings.GAOKAO_READER_URL = "http://127.0.0.1:8765"
    page = client.get(reverse("office:login"))
    policy = directives(page["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["media-src"] == ["'self'", "blob:"]
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8765"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert page["Permissions-Policy"].startswith("camera=(self), microphone=()")
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"
    portal = client.get(reverse("portal:login"))
    assert portal["Content-Security-Policy"] == page["Content-Security-Policy"]


def test_e3_the_reader_bridge_is_reached_where_the_settings_say(db, client, settings):
    settings.GAOKAO_READER_URL = "http://192.168.1.20:9000/bridge"
    policy = directives(client.get(reverse("office:login"))["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", "http://192.168.1.20:9000"]


def test_e3_forms_post_to_us_and_to_unionpay_s_front_gateway(settings, tmp_path):
    settings.PAYMENTS_CONFIG = tmp_path / "none.toml"
    assert directives(security.content_security_policy())["form-action"] == ["'self'"]
    settings.PAYMENTS_CONFIG = tmp_path / "payments.toml"
    settings.PAYMENTS_CONFIG.write_text('[unionpay]\nmerchant_id = "777290058110048"\n')
    assert directives(security.content_security_policy())["form-action"] == [
        "'self'",
        "https://gateway.95516.com",
    ]
    settings.PAYMENTS_CONFIG.write_text(
        '[unionpay]\nfront_url = "https://gateway.test.95516.com/gateway/api/frontTransReq.do"\n'
        '[alipay]\ngateway_url = "https://openapi.alipay.com/gateway.do"\n'
    )
    assert directives(security.content_security_policy())["form-action"] == [
        "'self'",
        "https://gateway.test.95516.com",  # Alipay's page is a link (GET): no form
    ]


def test_e3_documents_only_pdfs_and_files_keep_the_browser_s_viewer(db, client):
    """A PDF opened in the browser is drawn by its PDF viewer, which object-src 'none'
    would block; JSON and files run no script anyway."""
    health = client.get("/healthz")
    assert "Content-Security-Policy" not in health
    assert "Permissions-Policy" in health
    response = security.SecurityHeadersMiddleware(lambda request: _response("application/pdf"))(
        None
    )
    assert "Content-Security-Policy" not in response
    svg = security.SecurityHeadersMiddleware(lambda request: _response("image/svg+xml"))(None)
    assert "Content-Security-Policy" in svg


def _response(content_type):
    from django.http import HttpResponse

    return HttpResponse(b"", content_type=content_type)


def test_e3_a_view_s_own_policy_is_kept(db):
    from django.http import HttpResponse

    def view(request):
        response = HttpResponse("<p>", content_type="text/html")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    assert security.SecurityHeadersMiddleware(view)(None)["Content-Security-Policy"] == (
        "default-src 'none'"
    )


def test_e3_the_pause_page_has_the_headers_too(db, client, settings):
    """The gate answers before the views; the headers still come (the middleware sits
    before the gate)."""
    from gaokao.gate import services as gate
    from gaokao.gate.models import Pause

    Pause.objects.create(scope="portal", message="维护", since=timezone.now())
    gate.forget_cached_state()
    try:
        paused = client.get(reverse("portal:login"))
    finally:
        gate.forget_cached_state()
    assert paused.status_code == 503
    assert "script-src 'self'" in paused["Content-Security-Policy"]
    assert paused["X-Frame-Options"] == "DENY"


def test_e3_the_middleware_sits_right_after_django_s_security_middleware(settings):
    assert MIDDLEWARE in settings.MIDDLEWARE
    position = settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
    assert settings.MIDDLEWARE[position + 1] == MIDDLEWARE
    assert settings.MIDDLEWARE.index(MIDDLEWARE) < settings.MIDDLEWARE.index(
        "gaokao.gate.middleware.GateMiddleware"
    )


# ── templates and scripts that run under the policy ───────────────────────────────────

# At any depth: a template or script moved into a front end's subpackage is still checked.
TEMPLATES = sorted(GAOKAO.glob("**/templates/**/*.html"))
SCRIPTS = sorted(GAOKAO.glob("**/static/**/*.js"))


def test_e3_no_template_has_inline_script_handlers_or_javascript_urls():
    """Everything the policy would block: move it to a static file of the app."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    json_data = re.compile(r"<script[^>]*type=\"application/(ld\+)?json\"", re.I)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
    found = []
    assert len(TEMPLATES) > 50
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for tag in inline_script.findall(text):
            if not json_data.match(tag):
                found.append(f"{path.relative_to(GAOKAO)}: inline <script>")
        if handler.search(text):
            found.append(f"{path.relative_to(GAOKAO)}: on…= handler attribute")
        if "javascript:" in text.lower():
            found.append(f"{path.relative_to(GAOKAO)}: javascript: URL")
    assert not found


def test_e3_our_scripts_do_not_evaluate_strings():
    evaluates = re.compile(r"\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\s*\(\s*[\"']")
    assert SCRIPTS
    assert not [
        str(p.relative_to(GAOKAO)) for p in SCRIPTS if evaluates.search(p.read_text("utf-8"))
    ]


def test_e3_htmx_evaluates_nothing():
    """htmx would evaluate hx-on, hx-vars and js: values; none is used."""
    attributes = re.compile(r"\b(hx-on|hx-vars|data-hx-on)\b|\"js:|'js:")
    assert not [p.name for p in TEMPLATES if attributes.search(p.read_text("utf-8"))]


# ── production settings ────────────────────────────────────────────────────────────────


def test_e3_production_cookies_travel_over_https_only(tmp_path):
    """With GAOKAO_HTTPS=True (behind nginx with TLS): secure, HTTP-only session cookie,
    secure CSRF cookie, HSTS, the redirect to HTTPS (see test_settings for check --deploy)."""
    unset = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    expected = {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
    }
    names = list(expected)
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'gaokao.settings';"
        "from django.conf import settings; django.setup();"
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"GAOKAO_DATA_DIR": str(tmp_path), "GAOKAO_HTTPS": "True"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values == expected


# ── a new session key at sign-in (no fixation) ─────────────────────────────────────────


def planted_session(client: Client, page: str) -> str:
    """A session whose key an attacker knows (set in the victim's browser beforehand)."""
    client.get(page)
    session = client.session
    session["planted"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    return session.session_key


def test_e3_office_sign_in_gives_a_new_session_key_after_each_factor(county_user):
    county_user.set_password(LOGIN_PASSWORD)
    county_user.totp_secret = pyotp.random_base32()
    county_user.real_name_verified_at = timezone.now()
    county_user.save()
    client = Client()
    planted = planted_session(client, reverse("office:login"))
    step1 = client.post(
        reverse("office:login"), {"username": county_user.username, "password": LOGIN_PASSWORD}
    )
    assert step1["Location"] == reverse("office:totp")
    after_password = client.cookies["sessionid"].value
    assert after_password != planted
    code = pyotp.TOTP(county_user.totp_secret).now()
    step2 = client.post(reverse("office:totp"), {"code": code})
    assert step2["Location"] == reverse("office:home")
    assert client.cookies["sessionid"].value not in (planted, after_password)
    attacker = Client()
    attacker.cookies["sessionid"] = planted
    assert attacker.get(reverse("office:home"))["Location"].startswith(reverse("office:login"))
    assert client.get(reverse("office:home")).status_code == 200
    # Both factors were just typed: a fresh authentication (gaokao.web.reauth).
    assert reauth.is_recent(SimpleNamespace(session=client.session))


def test_o5_portal_sign_in_gives_a_new_session_key(point):
    candidate = CandidateFactory(
        season=SeasonFactory(province=point.county.parent.parent, is_current=True),
        point=point,
        portal_password=make_password(LOGIN_PASSWORD),
        confirmation_password=make_password("confirm-secret-9"),
    )
    client = Client()
    planted = planted_session(client, reverse("portal:login"))
    answer = client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": LOGIN_PASSWORD},
    )
    assert answer["Location"] == reverse("portal:status")
    assert client.cookies["sessionid"].value != planted
    attacker = Client()
    attacker.cookies["sessionid"] = planted
    assert attacker.get(reverse("portal:status"))["Location"] == reverse("portal:login")
    assert client.get(reverse("portal:status")).status_code == 200
