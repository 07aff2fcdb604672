"""The sync API's tests run at the shared `now` with the shared season, number range and
enrolled point client (gaokao/testing/fixtures.py); here: the API as that client calls it,
a client of the other county, and candidates to pull. Tests use the project's URLs with
the API mounted at /api/v1/; the changes a client pushes are built with gaokao.testing.sync."""

import hashlib

import pyotp
import pytest
from django.utils import timezone

from gaokao.candidates.models import Candidate
from gaokao.testing.factories import CandidateFactory, staff_for
from gaokao.testing.sync import Api, make_device


@pytest.fixture(autouse=True)
def in_main_window(clock):
    """Every test here runs at the shared `now`, inside the main window."""


@pytest.fixture
def other_device(other_point):
    """An enrolled client of the other county's point."""
    return make_device(other_point, staff_for(other_point), token="other-" + "y" * 30)


def enrolled(user):
    """`user` with real-name authentication done and an authenticator."""
    user.totp_secret = pyotp.random_base32()
    user.real_name_verified_at = timezone.now()
    user.save()
    return user


@pytest.fixture
def api(client, device):
    return Api(client)


@pytest.fixture
def make(season):
    """make(point, **fields): a candidate of the current season at `point`."""

    def make(point, **kwargs):
        return CandidateFactory(season=season, point=point, **kwargs)

    return make


def state():
    """Everything sync may change, to compare before and after."""
    from gaokao.sync.models import Conflict, Receipt

    return (
        sorted(Candidate.objects.values_list("pk", "version", "fee_fen", "fee_receipt", "mobile")),
        Receipt.objects.count(),
        Conflict.objects.count(),
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
