import pytest
from django.core.cache import cache

from gaokao.submission.tests.conftest import (  # noqa: F401 (shared fixtures)
    complete,
    photo,
    season,
)


@pytest.fixture(autouse=True)
def fresh_grid():
    """The dashboards' shared grid lives in the cache for a few seconds: start clean."""
    cache.clear()
