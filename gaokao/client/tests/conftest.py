"""A county whose point has a number range and an enrolled client, inside the main
registration window, and transports that carry the client's HTTP to the real sync API
through Django's test client (in this process, on the test database).

In these tests the point client and the server share one database, so a candidate the
"client" saves is already on the "server". The tests are built around that: a create is
queued as an outbox entry for a candidate only the server will make, and an update is
saved locally without moving the version, as the server's copy of it would be. The test
with real processes (test_network_faults.py) keeps the two databases apart.
"""

import uuid

import pytest

from gaokao.candidates import changes
from gaokao.client import capture
from gaokao.client.models import ClientState, Known, Outbox
from gaokao.numbering.models import NumberRange, registration_number
from gaokao.payments.gateways.base import GatewayError
from gaokao.payments.testing import client_transport
from gaokao.testing.factories import CandidateFactory, resident_id

SERVER = "http://testserver"


@pytest.fixture(autouse=True)
def in_english_at_now(english, clock):
    """Messages are asserted in their source language; every test runs at the shared
    `now`, inside the main window."""


@pytest.fixture
def number_range(number_range):
    """Half of the point's range already issued: the client's numbers go on from 51."""
    NumberRange.objects.filter(pk=number_range.pk).update(next_serial=51)
    number_range.refresh_from_db()
    return number_range


@pytest.fixture
def client_mode(settings):
    """GAOKAO_MODE=client: local saves are queued for the server."""
    settings.GAOKAO_MODE = "client"
    capture.connect()
    yield
    capture.disconnect()


@pytest.fixture
def enrolled(device, token, point):
    return ClientState.objects.create(
        pk=1, server_url=SERVER, device_id=device.pk, token=token, point_code=point.code
    )


def server(method, url, headers, body):
    """The real sync API, in process. What the server writes is the server's own data,
    not the client's local work, so it is not captured."""
    with capture.from_server():
        return client_transport(method, url, headers, body)


class Recorder:
    """A transport that records the calls and can fail some: `fail(n, before=...)`
    makes call number n (1-based) raise GatewayError before it reaches the server, or
    after the server handled it (the answer is lost), or answer 502."""

    def __init__(self, inner=server):
        self.inner, self.calls, self.failures = inner, [], {}

    def fail(self, n: int, how: str = "after") -> "Recorder":
        self.failures[n] = how
        return self

    def __call__(self, method, url, headers, body):
        self.calls.append((method, url.split("/api/v1", 1)[-1], body))
        how = self.failures.get(len(self.calls))
        if how == "before":
            raise GatewayError("connection refused")
        if how == "502":
            return 502, {}, b"<html>Bad Gateway</html>"
        answer = self.inner(method, url, headers, body)
        if how == "after":
            raise GatewayError("connection reset by peer")
        return answer


def create_entry(point, n: int, **fields) -> Outbox:
    """An outbox entry creating the n-th candidate with the point's n-th number (track
    5), as capture makes it for a candidate taken in on the client."""
    values = {
        "document_type": "1",
        "name": f"客户端考生{n}",
        "sex": "1",
        "ethnicity": "01",
        "birth_date": "2002-03-15",
        "id_number": resident_id(2 * n + 1, birth="20020315"),
        "identity_source": "reader",
        "eligibility_path": "normal",
        "subject_track": "5",
        "registration_number": registration_number(point.county.registration_code, n),
        "documents_received": True,
        "fee_fen": 4000,
        "fee_receipt": f"R-{n:04d}",
        "eligibility": "eligible",
        "eligibility_note": "",
        "keyed_from_paper": False,
    } | fields
    return Outbox.objects.create(
        id=uuid.uuid4(),
        kind=Outbox.Kind.CHANGE,
        candidate_id=uuid.uuid4(),
        payload={"kind": "create", "base_version": None, "fields": values},
    )


def synced_candidate(season, point, **kwargs):
    """A candidate the server has and this client knows at its current version."""
    from gaokao.client.fields import values_of

    with capture.from_server():
        candidate = CandidateFactory(season=season, point=point, **kwargs)
    Known.objects.create(
        candidate_id=candidate.pk, version=candidate.version, fields=values_of(candidate)
    )
    return candidate


def edit_locally(candidate, **values):
    """A local save that leaves the shared row's version where the server has it, told to
    the outbox as every service that changes a candidate tells it."""
    for name, value in values.items():
        setattr(candidate, name, value)
    candidate.save()
    changes.candidate_changed(candidate.pk)
    return candidate
