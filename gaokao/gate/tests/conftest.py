"""A current season, candidates at the shared point who can sign in to the portal, and a
clean slate for this process's cached read of the pause before and after every test."""

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from gaokao.gate import services
from gaokao.testing.factories import CandidateFactory, SeasonFactory

LOGIN_PASSWORD = "k7Pm3xQw9aZr"
# Hashed once: hashing per candidate would make the queue tests slow.
LOGIN_HASH = make_password(LOGIN_PASSWORD)


@pytest.fixture(autouse=True)
def fresh_gate_state():
    services.forget_cached_state()
    yield
    services.forget_cached_state()


@pytest.fixture
def season(county):
    return SeasonFactory(province=county.parent.parent, is_current=True)


@pytest.fixture
def make(season, point):
    """make(point=...): a candidate of the current season with a login card's password and
    the confirmation password already set."""

    def make(at=None, **kwargs):
        return CandidateFactory(
            season=season,
            point=at or point,
            portal_password=LOGIN_HASH,
            confirmation_password=LOGIN_HASH,
            **kwargs,
        )

    return make


@pytest.fixture
def candidate(make):
    return make()


def sign_in(client, candidate, password=LOGIN_PASSWORD):
    return client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": password},
    )
