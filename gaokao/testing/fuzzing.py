"""What the fuzz tests (issue 10 §4) share: hypothesis settings that keep the whole set
within about a minute, strategies that mix the hostile corpus into random text and JSON,
and a way to undo each example's rows."""

import contextlib

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from gaokao.testing import hostile


def fuzz(max_examples: int = 30) -> settings:
    """Bounded examples, no deadline (a first example may build a database row or a key),
    and function-scoped pytest fixtures allowed (each example undoes its rows itself)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


CORPUS = st.sampled_from([text for _name, text in hostile.hostile_texts()])
# Any text, with a hostile string now and then, alone or after random text.
TEXT = st.one_of(st.text(max_size=40), CORPUS, st.builds(lambda a, b: a + b, st.text(), CORPUS))
# Numbers JSON can carry (no NaN or infinity: json.dumps would write non-JSON for them).
FINITE = st.floats(allow_nan=False, allow_infinity=False)
SCALAR = st.none() | st.booleans() | st.integers() | FINITE | TEXT
JSON = st.recursive(
    SCALAR,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@contextlib.contextmanager
def rolled_back():
    """Run one example in a savepoint that is undone, so that the examples of one test do
    not see each other's rows. Marked as the test case's own block, as Django marks the
    test's transaction: a service's durable block (one sync change) runs inside it."""
    block = transaction.atomic()
    block._from_testcase = True
    with block:
        yield
        transaction.set_rollback(True)
