"""The floor: a candidate's session as bare Django views over the portal's own tables, in
SQL of the same shape as the portal's queries (the candidate by registration number, then by
id from the session; the rows each page reads; the row locked and updated at each save, its
résumé and family rows replaced, one event row written per sign-in and save). No templates,
forms, encryption, audit chain or admission control; the password checks are not done here
either: bench/portal_load.py measures their cost and adds it to the floor."""

# ruff: noqa: S608 (SQL built from constant table and column names; values are parameters)
import html
import json

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.utils import timezone
from django.views.decorators.http import require_POST

KEY = "floor_candidate"
DATA_FIELDS = (
    "political_status",
    "candidate_category",
    "household_type",
    "household_region",
    "graduation_type",
    "school",
    "proficiency_number",
    "foreign_language",
    "disability_category",
    "accommodations",
    "mobile",
    "phone",
    "specialties",
    "awards",
)
RESUME = ("start", "end", "school_or_employer", "role")
FAMILY = ("name", "relation", "employer", "phone")


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def rows(sql: str, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def event(action: str, target: str, detail: dict) -> None:
    execute(
        "INSERT INTO bench_floor_event (at, action, target, detail) VALUES (%s, %s, %s, %s)",
        [timezone.now(), action, target, json.dumps(detail)],
    )


CANDIDATE = """
    SELECT c.*, p.code AS point_code, p.county_id, r.name AS county_name
    FROM candidates_candidate c
    JOIN regions_registrationpoint p ON p.id = c.point_id
    JOIN regions_region r ON r.id = p.county_id
"""


def current(request) -> dict | None:
    pk = request.session.get(KEY)
    if pk is None:
        return None
    found = rows(CANDIDATE + " WHERE c.id = %s", [pk])
    return found[0] if found else None


def page(title: str, *parts) -> HttpResponse:
    body = "".join(f"<p>{html.escape(str(p))}</p>" for p in parts)
    return HttpResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1>{body}")


def window_open(c: dict) -> bool:
    phase = rows(
        "SELECT id, starts_at, ends_at FROM seasons_phase WHERE season_id = %s AND kind = 'main'",
        [c["season_id"]],
    )
    extended = rows(
        "SELECT MAX(ends_at) AS m FROM seasons_extension WHERE phase_id = %s",
        [phase[0]["id"] if phase else 0],
    )
    return bool(phase) and (extended[0]["m"] is not None or phase[0]["ends_at"] is not None)


def healthz(request):
    return HttpResponse("ok")


def sign_in(request):
    token = get_token(request)
    form = (
        '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{token}"><input name="registration_number"><input name="password"></form>'
    )
    if request.method == "POST":
        season = rows("SELECT id FROM seasons_season WHERE is_current = %s", [True])
        found = rows(
            CANDIDATE + " WHERE c.season_id = %s AND c.registration_number = %s",
            [season[0]["id"], request.POST.get("registration_number", "")],
        )
        if found and found[0]["portal_password"]:
            c = found[0]
            execute(
                "UPDATE candidates_candidate SET portal_last_login = %s WHERE id = %s",
                [timezone.now(), c["id"]],
            )
            event("login", c["registration_number"], {})
            request.session.cycle_key()
            request.session[KEY] = str(c["id"])
            return HttpResponseRedirect("/ks/status/")
    return HttpResponse(f"<!doctype html><title>sign in</title>{form}")


def status(request):
    c = current(request)
    if c is None:
        return HttpResponseRedirect("/ks/")
    track = rows(
        f"SELECT name FROM codes_code WHERE {q('table')} = 'subject_track' AND code = %s",
        [c["subject_track"]],
    )
    history = rows(
        "SELECT action, at FROM audit_auditevent WHERE target_type = 'candidates.candidate'"
        " AND target_id = %s ORDER BY at DESC, id DESC LIMIT 50",
        [str(c["id"])],
    )
    professional = rows(
        "SELECT r.status, k.name FROM payments_registration r"
        " JOIN payments_category k ON k.id = r.category_id WHERE r.candidate_id = %s",
        [c["id"]],
    )
    return page(
        "status", c["name"], c["registration_number"], track, history, professional, window_open(c)
    )


def saved_rows(c: dict) -> tuple[list[dict], list[dict]]:
    resume = rows(
        f"SELECT {', '.join(q(n) for n in RESUME)} FROM candidates_resumeentry"
        f" WHERE candidate_id = %s ORDER BY {q('order')}, id",
        [c["id"]],
    )
    family = rows(
        f"SELECT {', '.join(q(n) for n in FAMILY)} FROM candidates_familymember"
        f" WHERE candidate_id = %s ORDER BY {q('order')}, id",
        [c["id"]],
    )
    return resume, family


def codes() -> list[dict]:
    return rows(f"SELECT {q('table')}, code, name FROM codes_code ORDER BY sort_order")


def data(request):
    c = current(request)
    if c is None:
        return HttpResponseRedirect("/ks/")
    if request.method == "POST":
        save(c, request.POST)
        return HttpResponseRedirect("/ks/data/")
    resume, family = saved_rows(c)
    hidden = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
        f'<input type="hidden" name="version" value="{c["version"]}">'
    )
    values = [c[name] for name in DATA_FIELDS]
    return HttpResponse(
        page("data", values, resume, family, codes(), window_open(c)).content + hidden.encode()
    )


def save(c: dict, post) -> None:
    now = timezone.now()
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    with transaction.atomic():
        sql = f"SELECT id, version FROM candidates_candidate WHERE id = %s{lock}"
        row = rows(sql, [c["id"]])[0]
        if str(row["version"]) != post.get("version"):
            return
        resume, family = saved_rows(c)
        for table, names, prefix in (
            ("candidates_resumeentry", RESUME, "resume"),
            ("candidates_familymember", FAMILY, "family"),
        ):
            execute(f"DELETE FROM {table} WHERE candidate_id = %s", [c["id"]])
            count = int(post.get(f"{prefix}-TOTAL_FORMS") or 0)
            for n in range(count):
                values = [post.get(f"{prefix}-{n}-{name}", "") for name in names]
                if any(values):
                    columns = ", ".join(q(x) for x in (*names, "order", "candidate_id"))
                    execute(
                        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)",
                        [*values, n, c["id"]],
                    )
        assignments = ", ".join(f"{name} = %s" for name in DATA_FIELDS)
        execute(
            f"UPDATE candidates_candidate SET {assignments}, data_saved_at = %s,"
            " updated_at = %s, version = version + 1 WHERE id = %s",
            [*(post.get(name, "") for name in DATA_FIELDS), now, now, c["id"]],
        )
        event("data_saved", c["registration_number"], {"resume": resume, "family": family})


def proofreading(request):
    c = current(request)
    if c is None:
        return HttpResponseRedirect("/ks/")
    resume, family = saved_rows(c)
    return page("proofreading", [c[name] for name in DATA_FIELDS], resume, family, codes())


@require_POST
def sign_out(request):
    request.session.flush()
    return HttpResponseRedirect("/ks/")
