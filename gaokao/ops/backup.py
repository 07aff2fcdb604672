"""备份与恢复 — backups of the database, the uploaded files and the keys (E3, E7).

`write_backup` writes ``gaokao-YYYYmmdd-HHMMSS.tar`` (format: `gaokao.ops.archive`) under a
temporary name and renames it when complete: an archive with its final name is never half
written. `verify_backup` checks every checksum, restores the database into a scratch
database and compares the row counts with the manifest; its verdict is kept beside the
archive (``….tar.verify.json``) for the status page. `restore_backup` checks the whole
archive before it changes anything, and replaces a database holding data only when told.

An archive holds secrets (the secret key, payment keys): keep it like the keys themselves.
Used by ``gaokao backup`` and ``gaokao restore``; see docs/backup.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import re
import shutil
import socket
import tarfile
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.ops import archive, dbcopy
from gaokao.ops.archive import ArchiveDamaged, BackupError, Checked
from gaokao.ops.version import app_version

# What of the data directory a restored installation needs (the database and the uploaded
# files have their own place; collected static files and held uploads are not needed).
# `keys` holds the keys of the ID numbers at rest (SQLite; gaokao.privacy.keys): without
# them the restored numbers could not be read.
DATA_FILES = ("secret_key", "keys", "bundles/server_x25519.pem", "client")
NAME_RE = re.compile(r"^gaokao-(\d{8}-\d{6})(?:-(\d+))?\.tar$")
VERDICT_SUFFIX = ".verify.json"
STALE_SECONDS = 24 * 3600  # leftovers of a killed run older than this are deleted

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


class DatabaseNotEmpty(BackupError):
    pass


def default_dir() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def _record(action: str, **detail) -> None:
    """Audit a backup or restore under the name of whoever ran the command. Recorded
    after the fact: a backup's own event is not in it, and a restore's event goes into
    the database just restored."""
    from gaokao.audit.services import record

    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid())
    with transaction.atomic():
        record(action, label=f"{user}@{socket.gethostname()}"[:150], **detail)


def _work_dir(parent: Path | None = None):
    parent = Path(parent or settings.DATA_DIR)
    parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".gaokao-work-", dir=parent)


# ── listing and pruning ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Archive:
    path: Path
    created_at: dt.datetime
    size: int
    verified: bool | None  # None: never verified
    verified_at: dt.datetime | None
    problems: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name


def _verdict_path(path: Path) -> Path:
    return path.with_name(path.name + VERDICT_SUFFIX)


def _read_verdict(path: Path) -> dict | None:
    try:
        verdict = json.loads(_verdict_path(path).read_text(encoding="utf-8"))
        verdict["verified_at"] = dt.datetime.fromisoformat(verdict["verified_at"])
        return verdict
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_verdict(path: Path, ok: bool, problems: list[str]) -> None:
    note = {"verified_at": timezone.now().isoformat(), "ok": ok, "problems": problems}
    with contextlib.suppress(OSError):  # a read-only backup medium: the verdict is printed
        _verdict_path(path).write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")


def _sort_key(path: Path) -> tuple[str, int]:
    m = NAME_RE.match(path.name)
    return (m.group(1), int(m.group(2) or 1)) if m else ("", 0)


def list_backups(directory: Path | None = None) -> list[Archive]:
    """The archives in `directory` (default: DATA_DIR/backups), newest first."""
    directory = Path(directory or default_dir())
    if not directory.is_dir():
        return []
    paths = sorted(
        (p for p in directory.iterdir() if NAME_RE.match(p.name) and p.is_file()),
        key=_sort_key,
        reverse=True,
    )
    archives = []
    for path in paths:
        stamp = dt.datetime.strptime(NAME_RE.match(path.name).group(1), "%Y%m%d-%H%M%S")
        verdict = _read_verdict(path) or {}
        archives.append(
            Archive(
                path=path,
                created_at=timezone.make_aware(stamp),
                size=path.stat().st_size,
                verified=verdict.get("ok"),
                verified_at=verdict.get("verified_at"),
                problems=tuple(verdict.get("problems", ())),
            )
        )
    return archives


def latest(directory: Path | None = None) -> Archive | None:
    archives = list_backups(directory)
    return archives[0] if archives else None


def prune(directory: Path | None, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives (and their verdicts), and leftovers of
    runs killed more than a day ago. Returns what was deleted."""
    if keep < 1:
        raise BackupError(_("Keep at least one backup."))
    directory = Path(directory or default_dir())
    removed = []
    for old in list_backups(directory)[keep:]:
        old.path.unlink()
        _verdict_path(old.path).unlink(missing_ok=True)
        removed.append(old.path)
    cutoff = timezone.now().timestamp() - STALE_SECONDS
    for leftover in directory.glob(".gaokao-*"):
        if leftover.stat().st_mtime < cutoff:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


# ── what goes in besides the database ───────────────────────────────────────────────────


def _walk(root: Path, skip: Path | None = None) -> Iterator[Path]:
    """Regular files under `root` in a stable order, never following links."""
    if not root.is_dir():
        return
    skip = skip.resolve() if skip is not None else None
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() != skip)
        for name in sorted(files):
            path = here / name
            if path.is_file() and not path.is_symlink():
                yield path


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _payment_files(config: Path) -> Iterator[Path]:
    """The payment configuration and the key files it names (relative to its folder)."""
    if not config.is_file():
        return
    yield config
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    folder, seen = config.parent.resolve(), set()
    for value in _strings(data):
        if not value or len(value) > 500:
            continue
        file = (folder / value).resolve()
        if file.is_relative_to(folder) and file.is_file() and file not in seen:
            seen.add(file)
            yield file


def _sources(include_media: bool, backup_dir: Path) -> Iterator[tuple[Path, str]]:
    """(file, name in the archive) of everything besides the database."""
    if include_media:
        media = Path(settings.MEDIA_ROOT)
        for path in _walk(media, skip=backup_dir):
            yield path, f"media/{path.relative_to(media).as_posix()}"
    data_dir = Path(settings.DATA_DIR)
    for entry in DATA_FILES:
        path = data_dir / entry
        for file in [path] if path.is_file() else _walk(path):
            yield file, f"data/{file.relative_to(data_dir).as_posix()}"
    config = Path(settings.PAYMENTS_CONFIG)
    for file in _payment_files(config):
        relative = config.name if file == config else file.relative_to(config.parent.resolve())
        yield file, f"payments/{PurePosixPath(relative)}"


# ── backup ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    files: int
    tables: int
    rows: int


def _free_name(directory: Path, at: dt.datetime) -> Path:
    stem = f"gaokao-{at:%Y%m%d-%H%M%S}"
    for n in range(1, 1000):
        name = f"{stem}.tar" if n == 1 else f"{stem}-{n}.tar"
        if not (directory / name).exists() and not (directory / f".{name}.partial").exists():
            return directory / name
    raise BackupError(_("Too many backups in the same second."))


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_backup(
    directory: Path | None = None, *, media: bool = True, progress: Progress = _quiet
) -> Written:
    """Write a new archive into `directory` (default: DATA_DIR/backups), readable by its
    owner only, and record it in the audit trail."""
    directory = Path(directory or default_dir())
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = timezone.localtime()
    final = _free_name(directory, created)
    partial = directory / f".{final.name}.partial"
    try:
        with _work_dir(directory) as work:
            progress(_("Copying the database (%(vendor)s)…") % {"vendor": connection.display_name})
            dump, facts = dbcopy.dump(Path(work))
            rows = sum(facts["tables"].values())
            progress(
                _("Database copied: %(tables)s tables, %(rows)s rows.")
                % {"tables": len(facts["tables"]), "rows": rows}
            )
            progress(
                _("Adding uploaded files and keys…")
                if media
                else _("Adding keys (uploaded files left out)…")
            )
            sums_path = Path(work) / archive.SUMS
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw:
                with (
                    tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
                    sums_path.open("w", encoding="utf-8") as sums,
                ):
                    writer = archive.Writer(tar, sums)
                    writer.add(dump, f"database/{dump.name}")
                    for path, name in _sources(media, directory):
                        if archive.storable(name):
                            writer.add(path, name)
                    sums.close()
                    manifest = {
                        "format": archive.FORMAT,
                        "created_at": created.isoformat(),
                        "app_version": app_version(),
                        "host": socket.gethostname(),
                        "database": {"vendor": connection.vendor, "file": f"database/{dump.name}"},
                        "migrations": facts["migrations"],
                        "tables": facts["tables"],
                        "media": media,
                        "payments_config": Path(settings.PAYMENTS_CONFIG).name,
                        "files": {"count": writer.count, "bytes": writer.bytes},
                        "checksums": {
                            "file": archive.SUMS,
                            "sha256": writer.add(sums_path, archive.SUMS, listed=False),
                        },
                    }
                    manifest_json = json.dumps(manifest, ensure_ascii=False, indent=1)
                    writer.add_bytes(manifest_json.encode(), archive.MANIFEST)
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(partial, final)
        _fsync_dir(directory)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    size = final.stat().st_size
    _record(
        Action.BACKUP_WRITTEN,
        target=final.name,
        directory=str(directory),
        size=size,
        vendor=connection.vendor,
        files=writer.count,
        media=media,
    )
    return Written(final, size, writer.count, len(facts["tables"]), rows)


# ── verification ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: list[str]
    tables: int = 0
    rows: int = 0
    files: int = 0


def _same_vendor(manifest: dict) -> str:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            _("The archive holds a %(archive)s database; this installation uses %(here)s.")
            % {"archive": vendor, "here": connection.vendor}
        )
    return vendor


def verify_backup(path: Path, *, progress: Progress = _quiet) -> Verification:
    """Check the checksums, restore the database into a scratch database and compare its
    row counts and migrations with the manifest. Nothing of the live system changes."""
    path = Path(path)
    with _work_dir() as work:
        progress(_("Checking the checksums of %(name)s…") % {"name": path.name})
        try:
            checked = archive.check(path, Path(work))
            vendor = _same_vendor(checked.manifest)
            progress(_("Restoring the database into a scratch database…"))
            facts = dbcopy.scratch_facts(vendor, checked.database, progress)
        except BackupError as e:
            result = Verification(False, str(e).splitlines())
        else:
            problems = dbcopy.compare_facts(checked.manifest, facts)
            result = Verification(
                not problems,
                problems,
                tables=len(facts["tables"]),
                rows=sum(facts["tables"].values()),
                files=checked.manifest["files"]["count"],
            )
    _write_verdict(path, result.ok, result.problems)
    return result


# ── restore ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Restored:
    manifest: dict
    files: int
    migrate_needed: bool  # the code has migrations the archive's database lacks


def check_restorable(checked: Checked) -> bool:
    """Refuse what cannot be restored here; returns whether `migrate` is needed after."""
    from django.db.migrations.loader import MigrationLoader

    _same_vendor(checked.manifest)
    code = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    saved = {(app, name) for app, names in checked.manifest["migrations"].items() for name in names}
    if saved - code:
        raise BackupError(
            _(
                "The archive was written by a newer version of gaokao (%(version)s): its "
                "database has migrations this version lacks. Install that version first."
            )
            % {"version": checked.manifest.get("app_version", "?")}
        )
    return bool(code - saved)


def _target(name: str, manifest: dict) -> Path | None:
    """Where a file of the archive goes in this installation (None: the database)."""
    root, _sep, rest = name.partition("/")
    if root == "media":
        base = Path(settings.MEDIA_ROOT)
    elif root == "data":
        base = Path(settings.DATA_DIR)
    elif root == "payments":
        config = Path(settings.PAYMENTS_CONFIG)
        if rest == manifest.get("payments_config"):
            return config
        base = config.parent
    else:
        return None
    target = (base / rest).resolve()
    if not target.is_relative_to(base.resolve()):
        raise ArchiveDamaged(_("%(name)s points outside its folder.") % {"name": name})
    return target


def _same_file(target: Path, digest: str) -> bool:
    try:
        with target.open("rb") as f:
            return archive.copy(f) == digest
    except OSError:
        return False


def _keeps(name: str, target: Path, digest: str) -> bool:
    """A key or configuration file already in place with the same content is not
    rewritten (it may live in a folder the command cannot write, like /etc/gaokao)."""
    return not name.startswith("media/") and target.is_file() and _same_file(target, digest)


def _check_writable(checked: Checked) -> None:
    """Before anything changes: every folder a file goes to can be written, so a restore
    never stops half way because of permissions."""
    verdicts: dict[Path, bool] = {}
    refused = []
    for digest, name in archive.sum_lines(checked.sums):
        target = _target(name, checked.manifest)
        if target is None or _keeps(name, target, digest):
            continue
        folder = target.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if folder not in verdicts:
            verdicts[folder] = os.access(folder, os.W_OK | os.X_OK)
            if not verdicts[folder]:
                refused.append(str(folder))
    if refused:
        raise BackupError(
            _(
                "Nothing was restored: this user may not write to %(folders)s. Run the "
                "restore as the user the app servers run as, or fix the permissions."
            )
            % {"folders": ", ".join(refused)}
        )


def _restore_files(path: Path, checked: Checked) -> int:
    """Second pass: every file but the database goes in place under a temporary name
    first, its checksum compared again on the way."""
    restored = 0
    expected = archive.sum_lines(checked.sums)
    with tarfile.open(path, "r:") as tar:
        for member in archive.members(tar):
            if member.name in (archive.MANIFEST, archive.SUMS):
                continue
            digest, name = next(expected, ("", ""))
            if name != member.name:
                raise ArchiveDamaged(_("The archive changed during the restore."))
            target = _target(member.name, checked.manifest)
            if target is None:
                continue
            restored += 1
            if _keeps(name, target, digest):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.restoring")
            mode = member.mode & 0o777
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "wb") as out:
                got = archive.copy(tar.extractfile(member), out)
            if got != digest:
                temporary.unlink()
                raise ArchiveDamaged(_("The archive changed during the restore."))
            os.chmod(temporary, mode)
            os.utime(temporary, (member.mtime, member.mtime))
            os.replace(temporary, target)
    return restored


def restore_backup(
    path: Path,
    *,
    force: bool = False,
    confirm: Callable[[Checked], bool] | None = None,
    progress: Progress = _quiet,
) -> Restored | None:
    """Restore the database, the uploaded files and the keys from `path`.

    The whole archive is checked first; a damaged one changes nothing. A database that
    holds data is replaced only with `force`; `confirm` (asked after the check) may still
    say no, and then nothing changes and None is returned. Uploaded files not in the
    archive are left where they are."""
    path = Path(path)
    with _work_dir() as work:
        progress(_("Checking the archive %(name)s…") % {"name": path.name})
        checked = archive.check(path, Path(work))
        migrate_needed = check_restorable(checked)
        if not force and dbcopy.has_data():
            raise DatabaseNotEmpty(
                _(
                    "The database is not empty. Restoring replaces everything in it with the "
                    "archive's contents; add --force to do that."
                )
            )
        _check_writable(checked)
        if confirm is not None and not confirm(checked):
            return None
        progress(_("Restoring the database…"))
        dbcopy.restore(checked.manifest["database"]["vendor"], checked.database)
        progress(_("Restoring the uploaded files and keys…"))
        files = _restore_files(path, checked)
    _record(
        Action.BACKUP_RESTORED,
        target=path.name,
        created_at=checked.manifest["created_at"],
        vendor=checked.manifest["database"]["vendor"],
        files=files,
    )
    return Restored(checked.manifest, files, migrate_needed)
