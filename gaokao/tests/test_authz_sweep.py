"""The authorization sweep (issue 10 §2): every URL of the site and every operation of the
sync API, called by every kind of visitor, answers as `authz_rules` says.

The world: one province; county A (in city A) with point A and candidate A; county B (in
city B) with point B and candidate B; every object a URL can name, belonging to county A.
Staff of county B must find county A's objects missing (404), and nothing of county A may
appear on the pages they are allowed to see. A URL without a rule fails
`test_e3_every_url_has_a_rule`.

Only visitors who must be refused send state-changing requests (nothing changes then);
what allowed staff can do is tested by each app's own tests.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter
from django.utils import timezone

from gaokao.api.v1 import api
from gaokao.codes.models import Code, Table
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import (
    CandidateFactory,
    CategoryFactory,
    CountyFactory,
    PointFactory,
    SeasonFactory,
    add_phase,
    extend,
    resident_id,
    staff_for,
)
from gaokao.tests.authz_rules import (
    ACTORS,
    API_ACTORS,
    API_RULES,
    FORBID,
    LOGIN,
    METHOD,
    MISSING,
    OK,
    OTHER_SIDE,
    PORTAL,
    REACHED,
    REAUTH,
    REFUSALS,
    RULES,
    UNAUTHORISED,
    Rule,
)

pytestmark = pytest.mark.django_db

LOGIN_PASSWORD = "k7Pm3xQw9aZr"
CONFIRM = "confirm-secret-9"
TOKEN_A, TOKEN_B, TOKEN_REVOKED = "a" * 40, "b" * 40, "r" * 40
# What only county A has: none of it may appear on a page county B's people see.
CANARIES = ("金丝雀甲", "甲乡金丝雀报名点", "甲县金丝雀")


# ── the world ──────────────────────────────────────────────────────────────────────────


def jpeg() -> bytes:
    from gaokao.photos.tests import images

    return images.encode(images.portrait(480, 640), quality=85)


def build_world(settings, tmp_path) -> SimpleNamespace:
    from gaokao.client.models import Outbox
    from gaokao.comments.models import CommentTemplate
    from gaokao.gate.models import TimeSlot
    from gaokao.incidents import services as incidents
    from gaokao.notices import services as notices
    from gaokao.numbering.models import NumberRange
    from gaokao.payments.config import write_sandbox_config
    from gaokao.payments.models import PaymentOrder
    from gaokao.photos import services as photos
    from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes
    from gaokao.professional.models import Registration
    from gaokao.sync import enrolment as sync
    from gaokao.sync import photos as sync_photos
    from gaokao.sync.models import Conflict, Device, Receipt
    from gaokao.testing.sync import public_key_b64

    load_codes(PRESETS_DIR / "hunan-2020" / "codes.csv", LoadReport())
    # Production: the payment channels configured (notifications are checked against
    # their keys), the sandbox gateway off.
    settings.PAYMENTS_CONFIG = write_sandbox_config(tmp_path / "payments", "http://testserver")
    settings.PAYMENTS_SANDBOX = False

    w = SimpleNamespace()
    w.county_a = CountyFactory(name=CANARIES[2])
    w.county_b = CountyFactory()
    w.point_a = PointFactory(county=w.county_a, name=CANARIES[1])
    w.point_b = PointFactory(county=w.county_b)
    province = w.county_a.parent.parent
    assert w.county_b.parent != w.county_a.parent and w.county_b.parent.parent == province
    w.staff = {
        # as `gaokao create-province-account` makes it
        "province": staff_for(province, is_staff=True, is_superuser=True),
        "city_a": staff_for(w.county_a.parent),
        "county_a": staff_for(w.county_a),
        "point_a": staff_for(w.point_a),
        "point_a2": staff_for(PointFactory(county=w.county_a)),
        "city_b": staff_for(w.county_b.parent),
        "county_b": staff_for(w.county_b),
        "point_b": staff_for(w.point_b),
    }

    today = timezone.localdate()
    w.season = SeasonFactory(province=province, is_current=True)
    main = add_phase(
        w.season, opens=today - dt.timedelta(days=1), closes=today + dt.timedelta(days=20)
    )
    add_phase(
        w.season,
        PhaseKind.PROFESSIONAL,
        opens=today - dt.timedelta(days=1),
        closes=today + dt.timedelta(days=20),
    )
    w.extension = extend(main, w.county_a, today + dt.timedelta(days=30))
    passwords = {
        "portal_password": make_password(LOGIN_PASSWORD),
        "confirmation_password": make_password(CONFIRM),
    }
    w.candidate_a = CandidateFactory(
        season=w.season,
        point=w.point_a,
        name=CANARIES[0],
        subject_track="3",  # 艺术（文）: professional exams
        id_number=resident_id(901),
        **passwords,
    )
    w.candidate_b = CandidateFactory(
        season=w.season, point=w.point_b, subject_track="3", id_number=resident_id(902), **passwords
    )

    track = Code.objects.get(table=Table.SUBJECT_TRACK, code="5")
    w.number_range = NumberRange.objects.create(
        season=w.season, point=w.point_a, subject_track=track, first=1, last=99, next_serial=1
    )
    w.template = CommentTemplate.objects.create(
        point=w.point_a, title="模板", text="该生表现良好。", created_by=w.staff["point_a"]
    )
    w.slot = TimeSlot.objects.create(
        name="时段",
        first_day=today,
        last_day=today + dt.timedelta(days=3),
        starts=dt.time(8),
        ends=dt.time(20),
    )
    w.incident = incidents.report_incident(
        by=w.staff["point_a"],
        kind="power",
        started_at=timezone.now() - dt.timedelta(hours=1),
        description="停电",
    )
    w.notice = notices.post_notice(
        author_unit=w.county_a,
        title="县通知",
        body="正文",
        attachments=[("a.pdf", b"%PDF-1.4 test")],
        by=w.staff["county_a"],
    )
    w.attachment = w.notice.attachments.get()
    w.photo = photos.add_photo(w.candidate_a, jpeg(), source="camera", by=w.staff["point_a"])
    w.category = CategoryFactory(season=w.season, code="MS", name="美术")
    registration = Registration.objects.create(
        candidate=w.candidate_a, category=w.category, exam_phone="13800000000"
    )
    w.order = PaymentOrder.objects.create(
        registration=registration,
        out_trade_no="SWEEP0001",
        channel="wechat",
        amount_fen=12000,
        state=PaymentOrder.State.CLOSED,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )

    def device(point, user, token, **extra):
        return Device.objects.create(
            point=point,
            name="教务处电脑",
            public_key=public_key_b64(),
            token_hash=sync.token_hash(token),
            enrolled_by=user,
            **extra,
        )

    w.device_a = device(w.point_a, w.staff["point_a"], TOKEN_A)
    device(w.point_b, w.staff["point_b"], TOKEN_B)
    device(w.point_a, w.staff["point_a"], TOKEN_REVOKED, revoked_at=timezone.now())
    receipt = Receipt.objects.create(
        id=uuid.uuid4(),
        device=w.device_a,
        candidate_id=w.candidate_a.pk,
        kind="update",
        via="sync",
        status=Receipt.Status.CONFLICT,
    )
    w.conflict = Conflict.objects.create(
        receipt=receipt,
        candidate=w.candidate_a,
        base_version=1,
        server_version=2,
        point_values={"phone": "13900000000"},
        server_values={"phone": ""},
    )
    w.outbox = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE, candidate_id=w.candidate_a.pk, payload={"fields": {}}
    )
    w.upload_id = uuid.uuid4()
    sync_photos.start_photo(w.device_a, w.upload_id, w.candidate_a.pk, 10, "0" * 64, "camera", "")
    return w


def canaries(w, actor: str) -> list[str]:
    """What `actor` must not see, if on the other side (point A2 knows its county)."""
    county_a = [CANARIES[2]] if actor != "point_a2" else []
    return [CANARIES[0], CANARIES[1], *county_a, w.candidate_a.id_number]


# URL arguments naming point A's objects, by URL name.
SAMPLES = {
    "office:region": lambda w: {"code": w.county_a.code},
    "office:point": lambda w: {"code": w.point_a.code},
    "accounts:action": lambda w: {"pk": w.staff["point_a"].pk, "action": "reset-password"},
    "accounts:edit": lambda w: {"pk": w.staff["point_a"].pk},
    "regions:new": lambda w: {"level": "county"},
    "regions:edit": lambda w: {"code": w.county_a.code},
    "regions:delete": lambda w: {"code": w.county_a.code},
    "regions:points": lambda w: {"code": w.county_a.code},
    "regions:point_edit": lambda w: {"code": w.point_a.code},
    "regions:point_delete": lambda w: {"code": w.point_a.code},
    "notices:detail": lambda w: {"pk": w.notice.pk},
    "notices:withdraw": lambda w: {"pk": w.notice.pk},
    "notices:attachment": lambda w: {"pk": w.attachment.pk},
    "incidents:detail": lambda w: {"pk": w.incident.pk},
    "incidents:comment": lambda w: {"pk": w.incident.pk},
    "incidents:escalate": lambda w: {"pk": w.incident.pk},
    "incidents:resolve": lambda w: {"pk": w.incident.pk},
    "incidents:reopen": lambda w: {"pk": w.incident.pk},
    "photos:image": lambda w: {"pk": w.photo.pk},
    "photos:original": lambda w: {"pk": w.photo.pk},
    "client:dismiss": lambda w: {"pk": w.outbox.pk},
    "client:resolve": lambda w: {"pk": w.outbox.pk},
    "numbering:edit": lambda w: {"pk": w.number_range.pk},
    "numbering:delete": lambda w: {"pk": w.number_range.pk},
    "comments:template_delete": lambda w: {"pk": w.template.pk},
    "results:template": lambda w: {"kind": "physical"},
    "sync:device_revoke": lambda w: {"pk": w.device_a.pk},
    "sync:conflict": lambda w: {"pk": w.conflict.pk},
    "gate:slot-edit": lambda w: {"pk": w.slot.pk},
    "gate:slot-delete": lambda w: {"pk": w.slot.pk},
    "seasons:withdraw": lambda w: {"pk": w.extension.pk},
    "seasons:phase": lambda w: {"pk": w.season.phases.first().pk},
    "codes:table": lambda w: {"table": "subject_track"},
    "codes:row": lambda w: {"table": "subject_track", "pk": w.number_range.subject_track_id},
    "payments-office:category": lambda w: {"pk": w.category.pk},
    "portal:pay": lambda w: {"code": w.category.code},
    "portal:paid": lambda w: {"code": w.category.code},
    "portal:withdraw": lambda w: {"code": w.category.code},
    "portal:order": lambda w: {"out_trade_no": w.order.out_trade_no},
    "payments:notify": lambda w: {"channel": "wechat"},
    "sandbox-cashier": lambda w: {"channel": "wechat", "out_trade_no": w.order.out_trade_no},
    "sandbox-wechat-query": lambda w: {"out_trade_no": w.order.out_trade_no},
    "sandbox-wechat-close": lambda w: {"out_trade_no": w.order.out_trade_no},
}


def sample_kwargs(name: str, pattern: URLPattern, w) -> dict:
    """SAMPLES, or candidate A for any other <uuid:pk>."""
    if name in SAMPLES:
        return SAMPLES[name](w)
    converters = pattern.pattern.converters
    if set(converters) == {"pk"} and isinstance(converters["pk"], UUIDConverter):
        return {"pk": w.candidate_a.pk}
    assert not pattern.pattern.converters, f"{name}: add a sample to SAMPLES"
    return {}


# ── the URLs ───────────────────────────────────────────────────────────────────────────


def walk(patterns=None, namespace: str | None = None, prefix: str = ""):
    """(name, route, pattern) for every URL pattern, names with their namespaces."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(n for n in (namespace, p.namespace) if n) or None
            yield from walk(p.url_patterns, ns, prefix + str(p.pattern))
        else:
            name = ":".join(n for n in (namespace, p.name) if n) if p.name else None
            yield name, prefix + str(p.pattern), p


def swept():
    """The patterns the sweep calls; the admin's are checked apart (test_admin_...)."""
    for name, route, pattern in walk():
        if route.startswith("admin/"):
            continue
        yield (name if name is not None else route), route, pattern


def api_operations():
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield f"{method} {path}", operation


def test_e3_every_url_has_a_rule():
    """A new view without a rule in authz_rules.RULES fails here."""
    names = {name for name, _route, _pattern in swept()}
    missing = sorted(names - RULES.keys())
    assert not missing, (
        "These URLs have no authorization rule. Add each to RULES in "
        f"gaokao/tests/authz_rules.py, saying who may use it: {missing}"
    )
    stale = sorted(RULES.keys() - names)
    assert not stale, f"RULES names URLs that no longer exist: {stale}"
    operations = {key for key, _op in api_operations()}
    assert operations == API_RULES.keys(), (
        "Every operation of the sync API needs a rule in API_RULES (gaokao/tests/"
        f"authz_rules.py): missing {sorted(operations - API_RULES.keys())}, "
        f"stale {sorted(API_RULES.keys() - operations)}"
    )


def test_e3_the_views_that_ask_for_reauthentication_are_the_listed_ones():
    marked = {
        name
        for name, _route, pattern in swept()
        if getattr(pattern.callback, "reauth_required", False)
    }
    assert marked == REAUTH.keys()


# ── calling them ───────────────────────────────────────────────────────────────────────


@pytest.fixture
def world(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world(settings, tmp_path)


def sign_in_clients(w) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for actor, user in w.staff.items():
        clients[actor] = Client()
        clients[actor].force_login(user)
    for actor, candidate in (("candidate_a", w.candidate_a), ("candidate_b", w.candidate_b)):
        client = Client()
        answer = client.post(
            reverse("portal:login"),
            {"registration_number": candidate.registration_number, "password": LOGIN_PASSWORD},
        )
        assert answer.status_code == 302 and answer["Location"] == reverse("portal:status")
        clients[actor] = client
    return clients


def outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path == reverse("office:login"):
            return LOGIN
        if path == reverse("portal:login"):
            return PORTAL
        if path == reverse("accounts:reauth"):
            return "reauth"
        return OK
    if 200 <= status < 300:
        return OK
    return {403: FORBID, 404: MISSING, 405: METHOD}.get(status, f"HTTP {status}")


TEXT_TYPES = ("text/", "application/json")


def body_text(response) -> str:
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(TEXT_TYPES):
        return ""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def call(client: Client, method: str, url: str):
    try:
        return client.generic(method, url)
    except Exception as e:  # a view that breaks is reported with the others
        return SimpleNamespace(status_code=f"error {type(e).__name__}: {e}")


def test_e3_every_url_answers_every_visitor_as_its_rule_says(world):
    """GET for pages; POST-only views refuse GET; refused visitors' POSTs are refused the
    same way; B's people never see A's data on a page they may open."""
    w = world
    clients = sign_in_clients(w)
    problems: list[str] = []
    seen_by_a: set[str] = set()  # pages where county A's people see the canaries

    for name, _route, pattern in swept():
        rule = RULES.get(name)
        if rule is None or rule.area == "api":
            continue
        url = reverse(name, kwargs=sample_kwargs(name, pattern, w)) if pattern.name else "/"
        for actor, client in clients.items():
            expected = rule.expected(actor)
            response = call(client, "GET", url)
            got = outcome(response) if isinstance(response.status_code, int) else "error"
            if rule.post_only:
                want = METHOD if expected == OK else expected
                if got != want and not (expected in REFUSALS and got in REFUSALS):
                    problems.append(f"GET {url} as {actor}: {got}, expected {want}")
            elif got != expected:
                detail = response.status_code if got == "error" else got
                problems.append(f"GET {url} as {actor}: {detail}, expected {expected}")
            elif got == OK and response.status_code == 200:
                text = body_text(response)
                shown = [c for c in canaries(w, actor) if c in text]
                if shown and actor in OTHER_SIDE:
                    problems.append(f"GET {url} as {actor} shows county A's {shown}")
                elif shown:
                    seen_by_a.add(name)
            if rule.takes_post and expected in REFUSALS and rule.area != "sandbox":
                response = call(client, "POST", url)
                got = outcome(response) if isinstance(response.status_code, int) else "error"
                if got != expected:
                    problems.append(f"POST {url} as {actor}: {got}, expected {expected}")
    assert not problems, "\n".join(problems)
    # The canaries are where county A's people look, so their absence above means something.
    assert {"candidates:list", "candidates:detail", "office:point", "client:outbox"} <= seen_by_a


def test_e3_every_post_needs_the_csrf_token(world):
    """A signed-in visitor allowed to use the view, posting without the CSRF token (a
    forged cross-site form): 403, nothing done."""
    w = world
    clients = sign_in_clients(w)
    problems = []
    for name, _route, pattern in swept():
        rule = RULES[name]
        if not rule.takes_post or rule.area in ("api", "gateway", "sandbox"):
            continue
        assert not rule.csrf.startswith("exempt"), name
        url = reverse(name, kwargs=sample_kwargs(name, pattern, w))
        allowed = [a for a in ACTORS if rule.expected(a) == OK and a != "anonymous"]
        actor = allowed[0] if allowed else "anonymous"
        forged = Client(enforce_csrf_checks=True)
        forged.cookies = clients[actor].cookies
        response = call(forged, "POST", url)
        if response.status_code != 403:
            problems.append(f"POST {url} as {actor} without a CSRF token: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_e3_gateway_notifications_are_public_but_refuse_forged_payloads(world):
    """payments:notify needs no session and no CSRF token (the gateway posts it); a
    notification without a valid signature changes nothing and is refused."""
    from gaokao.payments.models import PaymentOrder

    accepted = {  # how each gateway's protocol says "received, stop resending"
        "wechat": lambda r: r.status_code == 204,
        "alipay": lambda r: r.content == b"success",
        "unionpay": lambda r: r.status_code == 200,
    }
    for channel, is_accepted in accepted.items():
        url = reverse("payments:notify", args=[channel])
        forged = Client(enforce_csrf_checks=True).post(
            url,
            data=b'{"out_trade_no": "SWEEP0001", "trade_state": "SUCCESS"}',
            content_type="application/json",
        )
        assert not is_accepted(forged), channel
    assert PaymentOrder.objects.get().state == PaymentOrder.State.CLOSED


def test_e3_admin_is_for_province_staff_only(world):
    """Skipped by the sweep, the admin is checked here: the province's staff account
    enters, everyone else is sent away, and nobody signs in at the admin's own
    password-only form (its sign-in is the office web's, with the authenticator)."""
    w = world
    clients = sign_in_clients(w)
    for actor, client in clients.items():
        answer = client.get("/admin/")
        if actor == "province":
            assert answer.status_code == 200
        else:
            assert answer.status_code == 302, actor
            assert urlsplit(answer["Location"]).path == reverse("admin:login"), actor
        # the admin's pages behind the index: the same
        regions = client.get(reverse("admin:regions_region_changelist"))
        assert (regions.status_code == 200) == (actor == "province"), actor

    login = Client().get(reverse("admin:login") + "?next=/admin/")
    assert login.status_code == 302
    assert login["Location"] == reverse("office:login") + "?next=/admin/"
    attempt = Client().post(
        reverse("admin:login"),
        {"username": w.staff["province"].username, "password": "correct horse battery staple"},
    )
    assert urlsplit(attempt["Location"]).path == reverse("office:login")
    assert Client().get("/admin/").status_code == 302


# ── the sync API ───────────────────────────────────────────────────────────────────────


def api_clients(w) -> dict[str, tuple[Client, dict]]:
    cookie = Client()
    cookie.force_login(w.staff["point_a"])
    return {
        "anonymous": (Client(), {}),
        "staff_cookie": (cookie, {}),
        "revoked_device": (Client(), {"HTTP_AUTHORIZATION": f"Device {TOKEN_REVOKED}"}),
        "device_a": (Client(), {"HTTP_AUTHORIZATION": f"Device {TOKEN_A}"}),
        "device_b": (Client(), {"HTTP_AUTHORIZATION": f"Device {TOKEN_B}"}),
    }


def api_request(w, key: str):
    """Path, body and content type that pass validation, naming point A's objects."""
    method, path = key.split(" ", 1)
    path = (
        path.replace("{photo_id}", str(w.upload_id))
        .replace("{conflict_id}", str(w.conflict.pk))
        .replace("{attachment_id}", str(w.attachment.pk))
    )
    bodies = {
        "POST /push": {"changes": []},
        "POST /photos/{photo_id}": {
            "candidate": str(w.candidate_a.pk),
            "size": 10,
            "sha256": "0" * 64,
        },
        "POST /conflicts/{conflict_id}/resolve": {"choice": "server"},
    }
    if method == "PUT":
        return method, f"/api/v1{path}?offset=0", b"0123456789", "application/octet-stream"
    return method, f"/api/v1{path}", bodies.get(key), "application/json"


def test_e3_every_api_operation_answers_every_caller_as_its_rule_says(world):
    """Only an enrolled, unrevoked device's token opens the API (a staff session cookie
    does not: no CSRF risk); a device reaches only its own point's photos and conflicts."""
    w = world
    problems = []
    clients = api_clients(w)
    assert tuple(clients) == API_ACTORS
    for key, _operation in api_operations():
        rule = API_RULES[key]
        method, url, body, content_type = api_request(w, key)
        for actor, (client, headers) in clients.items():
            expected = rule.expected(actor)
            if rule.mutates and expected == REACHED:
                continue  # allowed: the sync tests do it
            kwargs = {"content_type": content_type, **headers}
            if body is not None:
                kwargs["data"] = body if isinstance(body, bytes) else json.dumps(body)
            response = client.generic(method, url, **kwargs)
            status = response.status_code
            got = {401: UNAUTHORISED, 404: MISSING}.get(status, REACHED)
            if status in (403, 405) or status >= 500 or got != expected:
                problems.append(f"{key} as {actor}: {status}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_e3_a_device_pulls_only_its_own_points_candidates(world):
    w = world
    _client, headers = api_clients(w)["device_b"]
    pulled = Client().get("/api/v1/pull", **headers).json()
    assert [c["name"] for c in pulled["candidates"]] == [w.candidate_b.name]
    for canary in CANARIES:
        assert canary not in str(pulled)


def test_e3_the_api_description_is_public_and_there_is_no_api_page(world):
    """openapi.json describes the API; no Swagger page (it would load a CDN's scripts)."""
    assert Client().get("/api/v1/openapi.json").status_code == 200
    assert Client().get("/api/v1/docs").status_code == 404
    assert Client().get("/api/v1/").status_code == 404


def test_e3_rules_are_consistent():
    for name, rule in RULES.items():
        assert isinstance(rule, Rule)
        if rule.area == "office":
            assert rule.roles, name
        for actor in rule.outcome:
            assert actor in ACTORS, (name, actor)
