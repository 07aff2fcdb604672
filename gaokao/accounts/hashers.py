"""Password hashing tuned for the app servers of this system."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """argon2id at OWASP's minimum (m=19 MiB, t=2, p=1).

    Django's defaults (100 MiB, p=8) cost several times more CPU per login on a 2-core app
    server; every candidate login and every save with the confirmation password pays this,
    so the cost is set to the documented minimum. Stored hashes carry their parameters:
    changing these upgrades each hash at the next successful login.
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
