"""Settings of the central server process in test_network_faults.py: the project's, with
the sync API and the point client's pages mounted as gaokao/urls.py will mount them."""

from gaokao.settings import *  # noqa: F403

ROOT_URLCONF = "gaokao.client.tests.urls"
