import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their source language, whatever language an earlier test
    (a management command runs in Chinese) left active in this thread."""
    with translation.override("en"):
        yield
