"""The database side of backups (E3, E7): a consistent copy with its row counts, a restore
over the live database, and a restore into a scratch database for verification.

SQLite is copied with its online backup API; PostgreSQL with ``pg_dump --format=custom``
of an exported snapshot, in which the rows are also counted, so that the counts match the
dump even while candidates keep saving. The PostgreSQL programs get the connection from
settings.DATABASES through libpq's environment variables: the password never appears on a
command line.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from django.db import connection, connections
from django.utils.translation import gettext as _

from gaokao.ops.archive import BackupError

# Tables a freshly migrated, empty database already fills.
EMPTY_DATABASE_TABLES = frozenset(
    {"django_migrations", "django_content_type", "auth_permission", "django_session"}
)
LIBPQ_ENV = {
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
}
DUMP_NAMES = {"sqlite": "gaokao.sqlite3", "postgresql": "gaokao.pgdump"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_facts(cursor, vendor: str) -> dict:
    """Row counts of every table and the migrations applied, read through `cursor` (of a
    copy, or of the snapshot that was dumped)."""
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    else:
        cursor.execute(
            "SELECT tablename FROM pg_catalog.pg_tables"
            " WHERE schemaname = current_schema() ORDER BY tablename"
        )
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (catalog names)
        counts[table] = cursor.fetchone()[0]
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return {"tables": counts, "migrations": migrations}


def compare_facts(manifest: dict, facts: dict) -> list[str]:
    """What differs between the manifest's counts and migrations and a restored copy's."""
    problems = []
    expected, found = manifest["tables"], facts["tables"]
    for table in sorted(set(expected) | set(found)):
        if table not in found:
            problems.append(
                _("Table %(table)s is missing from the restored database.") % {"table": table}
            )
        elif table not in expected:
            problems.append(_("Table %(table)s is not in the manifest.") % {"table": table})
        elif expected[table] != found[table]:
            problems.append(
                _("Table %(table)s: %(found)s rows restored, the manifest says %(expected)s.")
                % {"table": table, "found": found[table], "expected": expected[table]}
            )
    if manifest["migrations"] != facts["migrations"]:
        problems.append(
            _("The migrations recorded in the restored database differ from the manifest.")
        )
    return problems


# ── PostgreSQL's programs ───────────────────────────────────────────────────────────────


def pg_params(dbname: str | None = None) -> dict[str, str]:
    """libpq connection keywords of the default database (settings.DATABASES)."""
    s = connection.settings_dict
    params = {
        "dbname": dbname or s["NAME"],
        "user": s.get("USER"),
        "password": s.get("PASSWORD"),
        "host": s.get("HOST"),
        "port": s.get("PORT"),
    }
    options = s.get("OPTIONS") or {}
    params.update({k: options[k] for k in LIBPQ_ENV if k in options and k not in params})
    return {key: str(value) for key, value in params.items() if value not in (None, "")}


def _run(program: str, args: list[str], params: dict[str, str]) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            _(
                "%(program)s is not installed: PostgreSQL's client programs are needed to "
                "back up and restore a PostgreSQL database."
            )
            % {"program": program}
        )
    env = {**os.environ, **{LIBPQ_ENV[key]: value for key, value in params.items()}}
    done = subprocess.run(  # noqa: S603 (a fixed program; arguments from settings)
        [executable, "--no-password", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        error = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
        raise BackupError(_("%(program)s failed: %(error)s") % {"program": program, "error": error})


def _pg_connect(params: dict[str, str]):
    import psycopg

    return psycopg.connect(**params)


# ── copy, restore, scratch ──────────────────────────────────────────────────────────────


def dump(work: Path) -> tuple[Path, dict]:
    """A consistent copy of the default database in `work`, and its facts."""
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(_("Only SQLite and PostgreSQL databases can be backed up."))
    target = work / DUMP_NAMES[vendor]
    if vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            # The online backup API copies a consistent state while others keep writing.
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            facts = table_facts(copy.cursor(), "sqlite")
        finally:
            copy.close()
        return target, facts
    import psycopg

    params = pg_params()
    with _pg_connect(params) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            facts = table_facts(cursor, "postgresql")
        # pg_dump reads the snapshot just counted; the transaction stays open meanwhile.
        _run("pg_dump", ["--format=custom", f"--snapshot={snapshot}", f"--file={target}"], params)
        conn.rollback()
    return target, facts


def has_data() -> bool:
    """Whether the database holds anything a fresh `gaokao migrate` does not."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in EMPTY_DATABASE_TABLES:
                continue
            cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                return True
    return False


def restore(vendor: str, copy: Path) -> None:
    """Replace the default database's contents with `copy`."""
    if vendor == "sqlite":
        if connection.in_atomic_block:
            raise BackupError(_("A restore cannot run inside a database transaction."))
        connection.ensure_connection()
        source = sqlite3.connect(copy)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        connections.close_all()  # our own idle connections must not hold the tables
        params = pg_params()
        _run(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",  # all or nothing
                "--exit-on-error",
                f"--dbname={params['dbname']}",
                str(copy),
            ],
            params,
        )
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches

    ContentType.objects.clear_cache()
    caches["default"].clear()  # nothing cached from before the restore may be shown


def scratch_facts(vendor: str, copy: Path, progress: Callable[[str], None]) -> dict:
    """Restore `copy` into a scratch database, count its rows, and drop it again."""
    if vendor == "sqlite":
        try:
            scratch = sqlite3.connect(copy)
            try:
                result = scratch.execute("PRAGMA integrity_check").fetchone()[0]
                if result != "ok":
                    raise BackupError(
                        _("The database copy is damaged: %(error)s") % {"error": result}
                    )
                return table_facts(scratch.cursor(), "sqlite")
            finally:
                scratch.close()
        except sqlite3.DatabaseError as e:
            raise BackupError(_("The database copy is damaged: %(error)s") % {"error": e}) from e
    params = pg_params()
    name = f"{params['dbname'][:40]}_verify_{secrets.token_hex(4)}"
    progress(_("Restoring into the scratch database %(name)s…") % {"name": name})
    _run("createdb", [name], params)
    try:
        scratch_params = {**params, "dbname": name}
        _run(
            "pg_restore",
            ["--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={name}", str(copy)],
            scratch_params,
        )
        with _pg_connect(scratch_params) as conn, conn.cursor() as cursor:
            return table_facts(cursor, "postgresql")
    finally:
        _run("dropdb", ["--if-exists", name], params)
