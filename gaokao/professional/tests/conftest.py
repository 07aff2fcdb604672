"""The payment tests' fixtures (sandbox gateway, a season with a professional window,
categories, an eligible candidate, a clock inside the window), shared with
gaokao/payments/tests: a professional exam is registered by paying it."""

from gaokao.payments.tests.conftest import *  # noqa: F403
