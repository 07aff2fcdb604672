"""The floor of the portal load benchmark (bench/portal_load.py): bare Django views doing the
database reads and writes of a candidate's session, in the same gunicorn setup."""
