"""Who may do what: one rule for every URL name and every operation of the sync API.

`test_authz_sweep.py` calls every URL as every kind of visitor and compares the answer with
these rules. A view without a rule here fails that test: add its rule (and think about who
may use it) when you add a view.

The visitors: nobody signed in; candidate A (point A in county A) and candidate B (county
B) signed in to the portal; the province; the city, county and point staff of county A;
the staff of point A2, another point of county A; the city, county and point staff of
county B (another city). URLs that name an object name one of point A's (or county A's),
so staff of county B, and point A2 for point A's objects, must get 404: an object outside
the jurisdiction looks exactly like a missing one.

Outcomes: OK (2xx, or a redirect anywhere but a sign-in page), LOGIN (to the office
sign-in), PORTAL (to the portal sign-in), FORBID (403), MISSING (404), METHOD (405).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OK, LOGIN, PORTAL, FORBID, MISSING, METHOD = "ok", "login", "portal-login", "403", "404", "405"
REFUSALS = frozenset({LOGIN, PORTAL, FORBID, MISSING, METHOD})

PROVINCE, CITY, COUNTY, POINT = "province", "city", "county", "point"
ALL_STAFF = (PROVINCE, CITY, COUNTY, POINT)
OFFICES = (PROVINCE, CITY, COUNTY)

# visitor → staff role (None: not staff)
ACTORS = {
    "anonymous": None,
    "candidate_a": None,
    "candidate_b": None,
    "province": PROVINCE,
    "city_a": CITY,
    "county_a": COUNTY,
    "point_a": POINT,
    "point_a2": POINT,
    "city_b": CITY,
    "county_b": COUNTY,
    "point_b": POINT,
}
CANDIDATES = ("candidate_a", "candidate_b")
OTHER_SIDE = frozenset({"candidate_b", "city_b", "county_b", "point_b", "point_a2"})


@dataclass(frozen=True)
class Rule:
    """area: office (staff pages), portal (the signed-in candidate), public, api (the sync
    API, see API_RULES), gateway (payment notifications: public, signature-checked),
    sandbox (the local payment sandbox, off in production), admin.
    methods: "GET", "POST" (POST only: GET must be refused) or "GET POST" (a form).
    scoped: the URL names an object of point A (candidate A's for the portal).
    csrf: "checked", or why the view is exempt.
    outcome: what a visitor gets where it differs from the area's rule."""

    area: str
    roles: tuple[str, ...] = ()
    methods: str = "GET"
    scoped: bool = False
    csrf: str = "checked"
    outcome: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def expected(self, actor: str) -> str:
        """What `actor` gets from the method the view is for (GET, or POST if POST only)."""
        if actor in self.outcome:
            return self.outcome[actor]
        role = ACTORS[actor]
        if self.area in ("public", "gateway"):
            return OK
        if self.area == "sandbox":
            return MISSING
        if self.area == "portal":
            if actor not in CANDIDATES:
                return PORTAL
            return MISSING if self.scoped and actor in OTHER_SIDE else OK
        if self.area == "office":
            if role is None:
                return LOGIN
            if role not in self.roles:
                return FORBID
            return MISSING if self.scoped and actor in OTHER_SIDE else OK
        raise AssertionError(f"no outcome for area {self.area}")

    @property
    def post_only(self) -> bool:
        return self.methods == "POST"

    @property
    def takes_post(self) -> bool:
        return "POST" in self.methods.split()


def office(*roles: str, **kwargs) -> Rule:
    return Rule("office", roles=roles or ALL_STAFF, **kwargs)


def portal(**kwargs) -> Rule:
    return Rule("portal", **kwargs)


def public(**kwargs) -> Rule:
    return Rule("public", **kwargs)


ABOVE_COUNTY_A = {"province": MISSING, "city_a": MISSING}
NOT_POINTS = {"point_a": MISSING, "point_b": MISSING}  # points manage no regions
SIGNED_IN_AGAIN = {actor: LOGIN for actor in ACTORS}  # no sign-in under way: back to step 1
GATEWAY = "public, signature-checked: see gaokao/payments/tests (forged notifications)"
SANDBOX = "public in the demo only (GAOKAO_PAYMENTS_SANDBOX); 404 in production"
API = "the sync API: device token, see API_RULES"

# URL name (namespace:name; the route for an unnamed pattern) → rule.
RULES: dict[str, Rule] = {
    "": public(note="the site root redirects to the office web"),
    # ── sign-in ──
    "office:login": public(methods="GET POST"),
    "office:totp": public(methods="GET POST", outcome=SIGNED_IN_AGAIN),
    "office:setup": public(methods="GET POST", outcome=SIGNED_IN_AGAIN),
    "office:logout": public(methods="POST"),
    "accounts:reauth": office(methods="GET POST"),
    # ── office: the office's own pages ──
    "office:home": office(),
    "office:units": office(),
    "office:region": office(scoped=True, outcome=NOT_POINTS),
    "office:point": office(scoped=True),
    "office:schedule": office(),
    "accounts:list": office(*OFFICES),
    "accounts:new": office(*OFFICES, methods="GET POST"),
    "accounts:enable_points": office(COUNTY, methods="GET POST"),
    "accounts:issued": office(*OFFICES),
    "accounts:slips": office(*OFFICES),
    "accounts:issued_done": office(*OFFICES, methods="POST"),
    # point A's account: only the county manages point accounts
    "accounts:action": office(
        *OFFICES,
        methods="GET POST",
        scoped=True,
        outcome={"province": MISSING, "city_a": MISSING},
    ),
    # point A's account moved or its mobile corrected: as accounts:action
    "accounts:edit": office(
        *OFFICES,
        methods="GET POST",
        scoped=True,
        outcome={"province": MISSING, "city_a": MISSING},
    ),
    # ── regions and points (issue 19): the province keeps cities and counties (county A
    # here), county A its points (point A); a city reads its counties' points ──
    "regions:index": office(*OFFICES),
    "regions:new": office(PROVINCE, methods="GET POST"),
    "regions:edit": office(PROVINCE, methods="GET POST", scoped=True),
    "regions:delete": office(PROVINCE, methods="GET POST", scoped=True),
    "regions:points": office(*OFFICES, scoped=True),
    "regions:point_new": office(COUNTY, methods="GET POST"),
    "regions:point_edit": office(COUNTY, methods="GET POST", scoped=True),
    "regions:point_delete": office(COUNTY, methods="GET POST", scoped=True),
    "audit:events": office(),
    "notices:list": office(),
    "notices:new": office(*OFFICES, methods="GET POST"),
    # county A's notice: read by county A and its points (notices go down), withdrawn by
    # county A; the notice is missing for everyone else
    "notices:detail": office(scoped=True, outcome={**ABOVE_COUNTY_A, "point_a2": OK}),
    "notices:withdraw": office(
        *OFFICES,
        methods="GET POST",
        scoped=True,
        outcome={**ABOVE_COUNTY_A, "point_b": MISSING},
    ),
    "notices:attachment": office(scoped=True, outcome={**ABOVE_COUNTY_A, "point_a2": OK}),
    "incidents:list": office(),
    "incidents:new": office(methods="GET POST"),
    # point A's incident
    "incidents:detail": office(scoped=True),
    "incidents:comment": office(methods="POST", scoped=True),
    "incidents:escalate": office(methods="POST", scoped=True),
    "incidents:resolve": office(methods="POST", scoped=True),
    "incidents:reopen": office(methods="POST", scoped=True),
    "ops:status": office(PROVINCE),
    # ── candidates (intake at the point, reviews above it) ──
    "candidates:list": office(),
    "candidates:reviews": office(COUNTY, CITY),
    "candidates:intake": office(POINT),
    "candidates:intake_card": office(POINT, methods="POST"),
    "candidates:manual": office(POINT, methods="GET POST"),
    "candidates:login_cards": office(POINT, methods="GET POST"),
    "candidates:issued": office(POINT),
    "candidates:issued_cards": office(POINT),
    "candidates:issued_sheet": office(POINT),
    "candidates:issued_done": office(POINT, methods="POST"),
    "candidates:detail": office(scoped=True),
    "candidates:checks": office(POINT, methods="POST", scoped=True),
    "candidates:review": office(COUNTY, CITY, methods="POST", scoped=True),
    "candidates:waive_card": office(CITY, methods="POST", scoped=True),  # O3
    "candidates:resubmit_review": office(POINT, methods="POST", scoped=True),
    "candidates:verify_card": office(POINT, methods="POST", scoped=True),
    "candidates:reset_confirmation": office(POINT, methods="POST", scoped=True),
    "candidates:review_form": office(POINT, COUNTY, scoped=True),
    "candidates:reveal_id_number": office(methods="POST", scoped=True),
    "photos:candidate": office(
        COUNTY,
        POINT,
        methods="GET POST",
        scoped=True,
        csrf="checked by the view after the upload size limit (csrf_exempt + csrf_protect)",
    ),
    "photos:image": office(COUNTY, POINT, scoped=True),
    "photos:original": office(COUNTY, POINT, scoped=True),
    "client:paper": office(POINT, methods="GET POST", scoped=True),
    "client:outbox": office(POINT),
    "client:dismiss": office(POINT, methods="POST", scoped=True),
    "client:resolve": office(POINT, methods="GET POST", scoped=True),
    # ── number ranges (S2) ──
    "numbering:ranges": office(COUNTY),
    "numbering:plan": office(COUNTY, methods="GET POST"),
    "numbering:add": office(COUNTY, methods="GET POST"),
    "numbering:edit": office(COUNTY, methods="GET POST", scoped=True),
    "numbering:delete": office(COUNTY, methods="GET POST", scoped=True),
    # ── proofreading, comments, results, submission, progress, exports ──
    "proofreading:batch": office(POINT, COUNTY),
    "proofreading:print": office(POINT, COUNTY, methods="POST"),
    "proofreading:candidate": office(POINT, COUNTY, scoped=True),
    "proofreading:signature": office(POINT, COUNTY, methods="POST", scoped=True),
    "proofreading:phone": office(POINT, COUNTY, methods="POST", scoped=True),
    "proofreading:identity": office(POINT, COUNTY, methods="POST", scoped=True),
    "proofreading:sheet": office(POINT, COUNTY, methods="POST", scoped=True),
    "proofreading:form": office(POINT, COUNTY, methods="POST", scoped=True),
    "comments:batch": office(POINT, COUNTY, methods="GET POST"),
    "comments:templates": office(POINT, COUNTY, methods="GET POST"),
    # point A's template: only its own unit deletes it
    "comments:template_delete": office(
        POINT, COUNTY, methods="GET POST", scoped=True, outcome={"county_a": MISSING}
    ),
    "comments:import": office(POINT, COUNTY, methods="GET POST"),
    "results:imports": office(PROVINCE, CITY, methods="GET POST"),
    "results:confirm": office(PROVINCE, CITY, methods="POST"),
    "results:template": office(PROVINCE, CITY),
    "results:candidate": office(PROVINCE, CITY, COUNTY, scoped=True),
    "submission:index": office(),
    "submission:submit": office(methods="POST"),
    "submission:return": office(*OFFICES, methods="POST"),
    "progress:dashboard": office(),
    "progress:list": office(),
    "exports:index": office(PROVINCE, CITY),
    "exports:csv": office(PROVINCE, CITY),
    "exports:xlsx": office(PROVINCE, CITY),
    "exports:photos": office(PROVINCE, CITY),
    "payments-office:report": office(),
    "payments-office:export": office(*OFFICES),
    "payments-office:categories": office(PROVINCE, methods="GET POST"),
    "payments-office:category": office(PROVINCE, methods="GET POST"),
    # ── the point client: devices, conflicts, disc bundles ──
    "sync:devices": office(POINT, COUNTY),
    "sync:device_revoke": office(POINT, COUNTY, methods="GET POST", scoped=True),
    "sync:conflicts": office(POINT, COUNTY),
    "sync:conflict": office(POINT, COUNTY, methods="GET POST", scoped=True),
    "bundles:import": office(COUNTY, methods="GET POST"),
    "bundles:confirm": office(COUNTY, methods="POST"),
    # ── the province's levers (E1, E2, E3) ──
    "gate:index": office(PROVINCE),
    "gate:pause": office(PROVINCE, methods="POST"),
    "gate:resume": office(PROVINCE, methods="POST"),
    "gate:admission": office(PROVINCE, methods="POST"),
    "gate:slot-new": office(PROVINCE, methods="GET POST"),
    "gate:slot-edit": office(PROVINCE, methods="GET POST"),
    "gate:slot-delete": office(PROVINCE, methods="POST"),
    "seasons:extensions": office(PROVINCE, methods="GET POST"),
    "seasons:withdraw": office(PROVINCE, methods="GET POST"),
    "seasons:fees": office(PROVINCE, methods="GET POST"),
    "seasons:phases": office(PROVINCE),
    "seasons:phase": office(PROVINCE, methods="GET POST"),
    # ── the code tables (issue 19): the province's ──
    "codes:tables": office(PROVINCE),
    "codes:table": office(PROVINCE, methods="GET POST"),
    "codes:row": office(PROVINCE, methods="GET POST"),
    # ── the candidate portal ──
    "portal:login": public(methods="GET POST"),
    "portal:logout": public(methods="POST"),
    "gate-portal:wait": portal(note="no place in the queue: back to the sign-in"),
    "portal:confirmation": portal(methods="GET POST"),
    "portal:status": portal(),
    "portal:proofreading": portal(),
    "portal:proofreading-pdf": portal(),
    "portal:password": portal(methods="GET POST"),
    "portal:data": portal(methods="GET POST"),
    "portal:professional": portal(methods="GET POST"),
    # candidate A's category and order
    "portal:pay": portal(methods="POST", scoped=True),
    "portal:paid": portal(scoped=True),
    "portal:withdraw": portal(methods="POST", scoped=True),
    "portal:order": portal(scoped=True),
    # ── machines ──
    "healthz": public(),
    "readyz": public(),
    "metrics": public(note="from this machine, or with the bearer token"),
    "payments:notify": Rule("gateway", methods="POST", csrf="exempt: " + GATEWAY),
    "sandbox-index": Rule("sandbox", note=SANDBOX),
    "sandbox-cashier": Rule("sandbox", methods="GET POST", csrf="exempt: " + SANDBOX),
    "sandbox-wechat-native": Rule("sandbox", csrf="exempt: " + SANDBOX),
    "sandbox-wechat-h5": Rule("sandbox", csrf="exempt: " + SANDBOX),
    "sandbox-wechat-query": Rule("sandbox", csrf="exempt: " + SANDBOX),
    "sandbox-wechat-close": Rule("sandbox", csrf="exempt: " + SANDBOX),
    "sandbox-alipay-gateway": Rule("sandbox", csrf="exempt: " + SANDBOX),
    "sandbox-unionpay-front": Rule("sandbox", csrf="exempt: " + SANDBOX),
    "sandbox-unionpay-query": Rule("sandbox", csrf="exempt: " + SANDBOX),
    "sync-api:api-root": Rule("api", note=API),
    "sync-api:openapi-json": Rule("api", note=API),
    "sync-api:enrol": Rule("api", note=API),
    "sync-api:pull": Rule("api", note=API),
    "sync-api:push": Rule("api", note=API),
    "sync-api:photo_start": Rule("api", note=API),
    "sync-api:photo_append": Rule("api", note=API),
    "sync-api:photo_status": Rule("api", note=API),
    "sync-api:conflicts": Rule("api", note=API),
    "sync-api:resolve": Rule("api", note=API),
    "sync-api:push_records": Rule("api", note=API),
    "sync-api:notice_attachment": Rule("api", note=API),
    "sync-api:version": Rule("api", note=API),
}

# Staff actions that ask for the password and the authenticator code again
# (gaokao.web.reauth) when the last time was more than ten minutes ago.
REAUTH = {
    "accounts:action": "reset-password and reset-totp (not disable, enable)",
    "exports:csv": "every submitted candidate's data",
    "exports:xlsx": "every submitted candidate's data",
    "exports:photos": "every submitted candidate's photo",
    "payments-office:export": "names, ID numbers and phones of the registered",
    "gate:pause": "takes the service down",
    "gate:resume": "lifts the province's pause",
    "bundles:import": "decrypts a point's disc (the dry run)",
    "bundles:confirm": "applies a point's disc to many candidates at once",
}
# Also: the admin's form setting another account's password (StaffUserAdmin).

# ── the sync API (/api/v1/) ────────────────────────────────────────────────────────────

API_ACTORS = ("anonymous", "staff_cookie", "revoked_device", "device_a", "device_b")
UNAUTHORISED, REACHED = "401", "reached"  # reached: past authentication (2xx or 4xx on the body)


@dataclass(frozen=True)
class ApiRule:
    """auth: "device" (Authorization: Device <token>) or "none".
    scoped: the path names an object of point A: device B gets 404.
    mutates: only visitors that must be refused call it (nothing changes)."""

    auth: str
    scoped: bool = False
    mutates: bool = False

    def expected(self, actor: str) -> str:
        if self.auth == "none":
            return REACHED
        if actor not in ("device_a", "device_b"):
            return UNAUTHORISED
        return MISSING if self.scoped and actor == "device_b" else REACHED


# "METHOD /path" as the API declares it → rule
API_RULES: dict[str, ApiRule] = {
    "POST /enrol": ApiRule("none", mutates=True),  # password + code, throttled: sync tests
    "GET /pull": ApiRule("device"),
    "POST /push": ApiRule("device", mutates=True),
    "POST /photos/{photo_id}": ApiRule("device", scoped=True, mutates=True),
    "PUT /photos/{photo_id}": ApiRule("device", scoped=True, mutates=True),
    "GET /photos/{photo_id}": ApiRule("device", scoped=True),
    "GET /conflicts": ApiRule("device"),
    "POST /conflicts/{conflict_id}/resolve": ApiRule("device", scoped=True, mutates=True),
    # incidents, their entries and comments recorded on the client (issue 20)
    "POST /records": ApiRule("device", mutates=True),
    # an attachment of a notice of point A's county: device B's point does not read it
    "GET /notices/attachments/{attachment_id}": ApiRule("device", scoped=True),
    # the published client version, for the update check before enrolment
    "GET /version": ApiRule("none"),
}
