"""S9: the streamed ZIP is an archive every reader opens — Python's zipfile, Info-ZIP's
unzip — with stored entries whose sizes stand in the local headers (no data descriptors),
and ZIP64 records once it grows past what plain ZIP can count."""

import datetime as dt
import io
import os
import shutil
import struct
import subprocess
import zipfile

import pytest

from gaokao.exports.zipstream import dos_time, zip_chunks

WHEN = dt.datetime(2019, 11, 20, 9, 30, 16)


def build(entries, **kwargs) -> bytes:
    return b"".join(zip_chunks(entries, **kwargs))


def sample(n: int = 5) -> list[tuple[str, bytes, dt.datetime]]:
    return [(f"0102{i:04d}.jpg", os.urandom(100 * i + 7), WHEN) for i in range(n)]


@pytest.mark.parametrize("zip64_from", [0xFFFFFFFF, 0], ids=["plain", "zip64"])
def test_s9_zipfile_reads_back_every_entry(zip64_from):
    entries = sample()
    archive = zipfile.ZipFile(io.BytesIO(build(entries, zip64_from=zip64_from)))
    assert archive.testzip() is None
    assert archive.namelist() == [name for name, _, _ in entries]
    for (name, data, _), info in zip(entries, archive.infolist(), strict=True):
        assert archive.read(name) == data
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.flag_bits & 0x08 == 0  # no data descriptor
        assert info.date_time == (2019, 11, 20, 9, 30, 16)


def test_s9_the_local_headers_carry_crc_and_sizes():
    ((name, data, _),) = sample(2)[1:]
    raw = build([(name, data, WHEN)])
    signature, _, flags, method, _, _, crc, csize, usize, name_len, _ = struct.unpack(
        "<IHHHHHIIIHH", raw[:30]
    )
    assert (signature, method, flags & 0x08) == (0x04034B50, 0, 0)
    assert (csize, usize) == (len(data), len(data)) and crc != 0
    assert raw[30 : 30 + name_len].decode() == name


def test_s9_an_empty_archive_is_valid():
    assert zipfile.ZipFile(io.BytesIO(build([]))).namelist() == []


def test_s9_more_than_65535_entries_get_zip64_records():
    entries = ((f"{i:08d}.jpg", b"", WHEN) for i in range(70_000))
    archive = zipfile.ZipFile(io.BytesIO(build(entries)))
    names = archive.namelist()
    assert len(names) == 70_000 and names[-1] == "00069999.jpg"


def test_s9_entries_are_read_lazily():
    taken = []

    def entries():
        for entry in sample(3):
            taken.append(entry[0])
            yield entry

    chunks = zip_chunks(entries())
    next(chunks)
    assert len(taken) == 1


def test_s9_times_before_1980_are_clamped():
    assert dos_time(dt.datetime(1970, 1, 1)) == dos_time(dt.datetime(1980, 1, 1))
    assert dos_time(dt.datetime(2019, 11, 20, 23, 59, 59)) == (
        (23 << 11) | (59 << 5) | 29,
        (39 << 9) | (11 << 5) | 20,
    )


@pytest.mark.parametrize("zip64_from", [0xFFFFFFFF, 0], ids=["plain", "zip64"])
def test_s9_info_zip_unzip_tests_the_archive_clean(tmp_path, zip64_from):
    unzip = shutil.which("unzip")
    if unzip is None:
        reason = "no unzip on PATH (apt-get install unzip)"
        if os.environ.get("GAOKAO_REQUIRE_SYSTEM_TOOLS") == "1":
            pytest.fail(f"GAOKAO_REQUIRE_SYSTEM_TOOLS=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    path = tmp_path / "photos.zip"
    path.write_bytes(build(sample(), zip64_from=zip64_from))
    result = subprocess.run([unzip, "-t", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_s9_an_entry_of_4_gib_is_refused():
    class Huge(bytes):
        def __len__(self):
            return 0xFFFFFFFF

    with pytest.raises(ValueError):
        b"".join(zip_chunks([("big.jpg", Huge(b"x"), WHEN)]))
