"""Who is signed in to the portal: the candidate's id in the (server-side) session, kept
apart from staff sign-in, and forgotten after a spell without activity.

The time of the last activity ("seen") is written to the session at most once every
SEEN_REFRESH_SECONDS, not at every request (each write is an UPDATE of the session row):
a candidate is signed out after between IDLE_SECONDS - SEEN_REFRESH_SECONDS and
IDLE_SECONDS without a request, never later.

The session key and the idle limit are gaokao.candidates.sessions': the gate's admission
seats and the request log need them too, and must not depend on the portal for them."""

import time
from functools import wraps

from django.shortcuts import redirect

from gaokao.candidates.models import Candidate
from gaokao.candidates.sessions import IDLE_SECONDS
from gaokao.candidates.sessions import SESSION_KEY as KEY
from gaokao.gate import services as gate
from gaokao.portal import services

SEEN_REFRESH_SECONDS = 60  # as gate.SEAT_REFRESH_SECONDS


def start(request, candidate: Candidate) -> None:
    # A new session key at sign-in: no fixation. A session without a key yet (none stored,
    # or the browser's unknown to the server) gets a fresh random one when first saved.
    request.session.keys()  # loaded: a key the server does not know is dropped here
    if request.session.session_key is not None:
        request.session.cycle_key()
    request.session[KEY] = {"id": str(candidate.pk), "seen": time.time()}
    services.signed_in(request, candidate)


def end(request) -> None:
    state = request.session.pop(KEY, None)
    if state:
        gate.free_seat(request, state["id"])  # E1: the next in line may have it


def current(request) -> Candidate | None:
    state = request.session.get(KEY)
    if not state:
        return None
    now = time.time()
    if now - state["seen"] > IDLE_SECONDS:
        end(request)
        return None
    if not 0 <= now - state["seen"] < SEEN_REFRESH_SECONDS:
        state["seen"] = now
        request.session.modified = True
    candidate = (
        Candidate.objects.select_related("point__county__parent__parent", "season")
        .filter(pk=state["id"])
        .first()
    )
    if candidate is not None:
        gate.refresh_seat(request, candidate.pk)  # E1: the seat stays taken while active
    return candidate


def candidate_required(view):
    """The signed-in candidate as the view's second argument; the confirmation password
    must be set before anything else (O5)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        candidate = current(request)
        if candidate is None:
            return redirect("portal:login")
        if not candidate.confirmation_password and view.__name__ != "confirmation":
            return redirect("portal:confirmation")
        return view(request, candidate, *args, **kwargs)

    return wrapper
