"""The backup archive's format (E3, E7): one uncompressed tar file holding

    database/gaokao.sqlite3   SQLite: a copy made with SQLite's online backup API
    database/gaokao.pgdump    PostgreSQL: ``pg_dump --format=custom`` of one snapshot
    media/…                   uploaded files (MEDIA_ROOT): photos, notice attachments
    data/…                    keys in the data directory: the secret key, the disc bundles'
                              server key, a point client's device key
    payments/…                the payment configuration file and the key files it names
    SHA256SUMS                the sha256 of every file above, in archive order
                              (``sha256sum -c SHA256SUMS`` works on an extracted archive)
    manifest.json             format, time, version, database vendor, the migrations applied
                              and the row count of every table (of the dumped snapshot),
                              the number of files, and the sha256 of SHA256SUMS

Checking reads the archive once from start to end and compares each file's sha256 with
SHA256SUMS line by line, through temporary files: constant memory however many photos.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.utils import timezone
from django.utils.translation import gettext as _

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
FORMAT = 1
ROOTS = ("database", "media", "data", "payments")
VENDORS = ("sqlite", "postgresql")
CHUNK = 1 << 20
MAX_MANIFEST_BYTES = 64 << 20


class BackupError(Exception):
    """A backup, check or restore that cannot go on; the message says why."""


class ArchiveDamaged(BackupError):
    """The archive is not what was written: truncated, changed, or not a backup."""


def storable(name: str) -> bool:
    """Whether a file name fits a SHA256SUMS line (Django's storage never makes others)."""
    return not any(c in name for c in "\n\r\\")


class _HashingReader:
    def __init__(self, file):
        self.file = file
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.hash.update(data)
        return data


class Writer:
    """Adds files to an open tar file, each one's sha256 to the SHA256SUMS being written."""

    def __init__(self, tar: tarfile.TarFile, sums):
        self.tar, self.sums = tar, sums
        self.count = self.bytes = 0

    def add(self, path: Path, name: str, *, listed: bool = True) -> str | None:
        """Add one file; returns its sha256, or None when it vanished meanwhile."""
        try:
            file = path.open("rb")
        except FileNotFoundError:
            return None  # deleted since it was listed: nothing to keep
        with file:
            stat = os.fstat(file.fileno())
            info = tarfile.TarInfo(name)
            info.size, info.mtime = stat.st_size, int(stat.st_mtime)
            info.mode = stat.st_mode & 0o777
            reader = _HashingReader(file)
            try:
                self.tar.addfile(info, reader)
            except OSError as e:
                raise BackupError(
                    _("%(path)s changed while it was copied; run the backup again (%(error)s).")
                    % {"path": path, "error": e}
                ) from e
        self.tar.members.clear()  # tarfile keeps every header otherwise: a million photos
        digest = reader.hash.hexdigest()
        if listed:
            self.sums.write(f"{digest}  {name}\n")
            self.count += 1
            self.bytes += info.size
        return digest

    def add_bytes(self, data: bytes, name: str) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
        self.tar.addfile(info, io.BytesIO(data))


def members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members one by one, without keeping every header in memory."""
    while (member := tar.next()) is not None:
        check_name(member)
        yield member
        tar.members.clear()


def check_name(member: tarfile.TarInfo) -> None:
    name = member.name
    if not member.isfile():
        raise ArchiveDamaged(
            _("The archive holds %(name)s, which is not a file: it is not a gaokao backup.")
            % {"name": name}
        )
    if name in (MANIFEST, SUMS):
        return
    parts = PurePosixPath(name).parts
    if (
        len(parts) < 2
        or parts[0] not in ROOTS
        or name.startswith("/")
        or ".." in parts
        or not storable(name)
    ):
        raise ArchiveDamaged(
            _("The archive holds %(name)s, which a gaokao backup never holds.") % {"name": name}
        )


def copy(source, target=None) -> str:
    """Read `source` to its end (writing it to `target`); returns the sha256."""
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest()


def sum_lines(path: Path) -> Iterator[tuple[str, str]]:
    """(sha256, name) of each line of a SHA256SUMS file."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            digest, _sep, name = line.rstrip("\n").partition("  ")
            yield digest, name


@dataclass
class Checked:
    manifest: dict
    database: Path  # the extracted database file (in the work folder)
    sums: Path  # the archive's SHA256SUMS (in the work folder), in archive order


def check(path: Path, work: Path) -> Checked:
    """Read the whole archive once: every file's sha256 against SHA256SUMS, SHA256SUMS
    against the manifest. The database file is extracted into `work` on the way. Raises
    ArchiveDamaged naming what is wrong."""
    path, work = Path(path), Path(work)
    if not path.is_file():
        raise BackupError(_("There is no file %(path)s.") % {"path": path})
    computed, archived = work / "computed.sums", work / SUMS
    manifest_bytes, sums_digest, database = None, None, None
    try:
        with tarfile.open(path, "r:") as tar, computed.open("w", encoding="utf-8") as out:
            for member in members(tar):
                source = tar.extractfile(member)
                if member.name == MANIFEST:
                    manifest_bytes = source.read(MAX_MANIFEST_BYTES)
                elif member.name == SUMS:
                    with archived.open("wb") as target:
                        sums_digest = copy(source, target)
                elif member.name.startswith("database/") and database is None:
                    database = work / PurePosixPath(member.name).name
                    with database.open("wb") as target:
                        out.write(f"{copy(source, target)}  {member.name}\n")
                else:
                    out.write(f"{copy(source)}  {member.name}\n")
    except (tarfile.TarError, EOFError) as e:
        raise ArchiveDamaged(
            _("The archive cannot be read to its end: it is truncated or not a backup (%(error)s).")
            % {"error": e}
        ) from e
    manifest = _manifest(manifest_bytes)
    if sums_digest is None or sums_digest != manifest["checksums"]["sha256"]:
        raise ArchiveDamaged(
            _("The archive's SHA256SUMS does not match its manifest: the archive was changed.")
        )
    problems, count = _compare_sums(computed, archived)
    if count != manifest["files"]["count"]:
        problems.append(
            _("The manifest lists %(expected)s files, the archive holds %(found)s.")
            % {"expected": manifest["files"]["count"], "found": count}
        )
    if database is None or database.name != PurePosixPath(manifest["database"]["file"]).name:
        problems.append(_("The archive holds no database."))
    if problems:
        raise ArchiveDamaged(summary(problems))
    return Checked(manifest, database, archived)


def _manifest(data: bytes | None) -> dict:
    if data is None:
        raise ArchiveDamaged(
            _("The archive has no manifest.json: it is truncated or not a gaokao backup.")
        )
    try:
        manifest = json.loads(data)
        readable = (
            manifest["format"] == FORMAT
            and manifest["database"]["vendor"] in VENDORS
            and isinstance(manifest["database"]["file"], str)
            and isinstance(manifest["tables"], dict)
            and isinstance(manifest["migrations"], dict)
            and isinstance(manifest["files"]["count"], int)
            and isinstance(manifest["checksums"]["sha256"], str)
        )
    except (ValueError, KeyError, TypeError) as e:
        raise ArchiveDamaged(
            _("The archive's manifest.json cannot be read (%(error)s).") % {"error": e}
        ) from e
    if not readable:
        raise ArchiveDamaged(
            _("The archive's manifest.json is not one this version of gaokao can read.")
        )
    return manifest


def _compare_sums(computed: Path, archived: Path) -> tuple[list[str], int]:
    """Problems between the checksums computed and those listed, and the files counted."""
    problems, count = [], 0
    for got, want in itertools.zip_longest(sum_lines(computed), sum_lines(archived)):
        if want is None:
            count += 1
            problems.append(_("%(name)s is not listed in SHA256SUMS.") % {"name": got[1]})
        elif got is None:
            problems.append(_("%(name)s is missing from the archive.") % {"name": want[1]})
        elif got[1] != want[1]:
            problems.append(
                _("%(found)s is where SHA256SUMS lists %(expected)s: the archive was changed.")
                % {"found": got[1], "expected": want[1]}
            )
            return problems, count
        else:
            count += 1
            if got[0] != want[0]:
                problems.append(
                    _("%(name)s does not match its checksum: changed or damaged.")
                    % {"name": got[1]}
                )
    return problems, count


def summary(problems: list[str], limit: int = 10) -> str:
    shown = problems[:limit]
    if len(problems) > limit:
        shown.append(_("… and %(n)s more.") % {"n": len(problems) - limit})
    return "\n".join(shown)
