"""The submission tests run with every window of the season (gaokao.testing.fixtures'
EVERY_WINDOW) and the shared `complete` candidates."""

import pytest

from gaokao.comments.models import Comment
from gaokao.testing.fixtures import EVERY_WINDOW


@pytest.fixture
def windows():
    return EVERY_WINDOW


def comment(candidate, by) -> None:
    Comment.objects.create(candidate=candidate, text="遵纪守法，品德良好。", written_by=by)
