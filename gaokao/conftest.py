"""The root of the test suite: loads the shared fixtures (gaokao/testing/fixtures.py), the
one set every directory's tests build on and override, never copy."""

pytest_plugins = ["gaokao.testing.fixtures"]
