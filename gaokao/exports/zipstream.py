"""A ZIP archive written as a stream of bytes, in constant memory, whatever its size.

`zip_chunks(entries)` yields the archive piece by piece while `entries` is read lazily.
Entries are stored, not deflated (JPEGs do not compress), and each is written whole: its
CRC and sizes stand in the local header, so no data descriptor follows it and every reader,
streaming ones included, reads the archive. The central directory is spooled to a temporary
file as the entries go by and copied out at the end; ZIP64 records are added once the
archive passes 4 GiB or 65,535 entries (APPNOTE.TXT 6.3.x, sections 4.3 and 4.5.3).

Why not `zipfile.ZipFile` on a non-seekable stream: it keeps a ZipInfo of about 500 bytes
per entry in memory until the end (some 250 MB for a province's 500,000 photos), and marks
stored entries with data descriptors, which streaming readers such as Java's
ZipInputStream refuse.
"""

from __future__ import annotations

import datetime as dt
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator

UINT16 = 0xFFFF
UINT32 = 0xFFFFFFFF

_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header, 30 bytes
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header, 46 bytes
_END = struct.Struct("<IHHHHIIH")  # end of central directory, 22 bytes
_END64 = struct.Struct("<IQHHIIQQQQ")  # ZIP64 end of central directory, 56 bytes
_LOCATOR64 = struct.Struct("<IIQI")  # ZIP64 end of central directory locator, 20 bytes
_ZIP64_OFFSET = struct.Struct("<HHQ")  # ZIP64 extra field holding the header offset only

_UTF8_NAMES = 0x0800  # general purpose flag bit 11
_STORED = 0
_VERSION = 20  # 2.0: stored entries, folders
_VERSION_ZIP64 = 45  # 4.5: ZIP64
_MADE_BY = (3 << 8) | _VERSION_ZIP64  # Unix, so that unzip applies the mode below
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_COPY_BLOCK = 64 * 1024


def dos_time(when: dt.datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS form, which cannot hold years before 1980."""
    if when.year < 1980:
        when = dt.datetime(1980, 1, 1)
    time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    return time, date


def zip_chunks(
    entries: Iterable[tuple[str, bytes, dt.datetime]], *, zip64_from: int = UINT32
) -> Iterator[bytes]:
    """The archive of `entries` (name, content, modification time as wall-clock time).

    `zip64_from` is the offset from which ZIP64 records are written; only tests lower it,
    to prove the large-archive path without writing 4 GiB."""
    offset = count = 0
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as directory:
        for name, data, when in entries:
            encoded = name.encode("utf-8")
            if len(data) >= UINT32 or len(encoded) > UINT16:
                raise ValueError(f"{name}: an entry must stay below 4 GiB with a short name")
            crc = zlib.crc32(data) & UINT32
            time, date = dos_time(when)
            header = _LOCAL.pack(
                0x04034B50, _VERSION, _UTF8_NAMES, _STORED, time, date,
                crc, len(data), len(data), len(encoded), 0,
            )  # fmt: skip
            zip64 = offset >= zip64_from
            extra = _ZIP64_OFFSET.pack(0x0001, 8, offset) if zip64 else b""
            central = _CENTRAL.pack(
                0x02014B50, _MADE_BY, _VERSION_ZIP64 if zip64 else _VERSION, _UTF8_NAMES,
                _STORED, time, date, crc, len(data), len(data), len(encoded), len(extra),
                0, 0, 0, _FILE_MODE, UINT32 if zip64 else offset,
            )  # fmt: skip
            directory.write(central + encoded + extra)
            yield header + encoded
            yield data
            offset += len(header) + len(encoded) + len(data)
            count += 1

        directory_size = directory.tell()
        directory.seek(0)
        while block := directory.read(_COPY_BLOCK):
            yield block

    end = b""
    if count >= UINT16 or directory_size >= UINT32 or offset >= zip64_from:
        end64_at = offset + directory_size
        end += _END64.pack(
            0x06064B50, _END64.size - 12, _MADE_BY, _VERSION_ZIP64, 0, 0,
            count, count, directory_size, offset,
        )  # fmt: skip
        end += _LOCATOR64.pack(0x07064B50, 0, end64_at, 1)
    end += _END.pack(
        0x06054B50, 0, 0, min(count, UINT16), min(count, UINT16),
        min(directory_size, UINT32), min(offset, UINT32), 0,
    )  # fmt: skip
    yield end
