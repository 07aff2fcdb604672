import pytest
from django.core.cache import cache

from gaokao.testing.fixtures import EVERY_WINDOW


@pytest.fixture
def windows():
    """The dashboards count what the submission tests build: every window open."""
    return EVERY_WINDOW


@pytest.fixture(autouse=True)
def fresh_grid():
    """The dashboards' shared grid lives in the cache for a few seconds: start clean."""
    cache.clear()
