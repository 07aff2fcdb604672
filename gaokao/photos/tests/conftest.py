import pytest

from gaokao.photos.tests import images
from gaokao.testing.factories import CandidateFactory


@pytest.fixture
def candidate(point):
    return CandidateFactory(point=point)


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    """A phone-like JPEG: 1200 × 1600, about 350 KB."""
    return images.encode(images.portrait(), quality=92)


@pytest.fixture(scope="session")
def png_bomb() -> bytes:
    """30000 × 30000 pixels (900 megapixels, 900 MB decoded) in about 110 KB."""
    return images.png_bomb(30000, 30000)
