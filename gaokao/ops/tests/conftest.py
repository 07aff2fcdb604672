"""The operations tests assert messages in their source language."""

import pytest


@pytest.fixture(autouse=True)
def in_english(english):
    """Whatever language an earlier test (a management command runs in Chinese) left
    active in this thread."""
