"""Every model change ships with its migration (E2: the province's configuration survives
upgrades only if the schema is migrated, never guessed)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_e2_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
