"""The hostile-input corpus (issue 10 §5): text and files that every form, upload and parser
of gaokao must survive. Nothing here is a committed binary: every file is generated.

`STRINGS` holds text an attacker or a careless copy-and-paste may send: markup, SQL
metacharacters, Unicode tricks (a right-to-left override that turns ``gpj.exe`` into
``exe.jpg`` on screen, zero-width characters that make two names look alike), control
characters and NUL, overlong text. `INVALID_UTF8` holds bytes that are no UTF-8 at all.
The builders make hostile files: a PNG decompression bomb, a truncated JPEG, a JPEG that
is also an HTML page and a ZIP, an XLSX zip bomb, a CSV with invalid UTF-8 and NUL bytes,
a file over the upload limits.

What the tests then expect: no 500 and no crash; either a clear refusal or the text stored
cleaned (`CLEANED_AWAY`: what `clean_text` drops); markup never rendered raw; nothing
partially saved.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

# ── text ──────────────────────────────────────────────────────────────────────────────

SCRIPT = "<script>alert('gaokao')</script>"
# Characters clean_text drops from stored text: bidi overrides and isolates, zero-width
# characters, the BOM, NUL and other controls. Each is invisible or changes the display.
CLEANED_AWAY = (
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u200b",  # ZERO WIDTH SPACE
    "\u200d",  # ZERO WIDTH JOINER
    "\u2060",  # WORD JOINER
    "\ufeff",  # BYTE ORDER MARK / ZERO WIDTH NO-BREAK SPACE
    "\x00",
    "\x1b",
    "\x07",
    "\x7f",
)

STRINGS: dict[str, str] = {
    "script": SCRIPT,
    "attribute": "\"'><img src=x onerror=alert(1)>",
    "javascript_url": "javascript:alert(document.cookie)",
    "template": "{{ request.user.password }}{% debug %}${7*7}",
    "sql_quote": "张三'; DROP TABLE candidates_candidate; --",
    "sql_wildcards": "100%_\\' OR '1'='1",
    "rtl_override": "李四\u202egpj.exe",
    "zero_width": "王\u200b五\u200d\u2060\ufeff",
    "nul": "赵\x00六",
    "controls": "\x1b[31m红色\x07\x08\x7f",
    "crlf": "第一行\r\nSet-Cookie: hijacked=1\r\n",
    "line_separators": "甲\u2028乙\u2029丙",
    "combining": "e" + "\u0301" * 200,
    "emoji_zwj": "👨\u200d👩\u200d👧",
    "astral_cjk": "𠀀𪚥𰻞",  # CJK Extension B and G: rare name characters are real
    "fullwidth": "１２３ＡＢＣ＜ｓｃｒｉｐｔ＞",
    "formula": '=HYPERLINK("http://evil.example/","点击")',
    "path": "../../../../etc/passwd",
    "whitespace_only": " \t\u3000 ",
    "long_line": "长" * 5000,
}
# Text far longer than any field allows (forms must refuse it, not truncate it silently).
OVERLONG = "超长" * 60_000

# Bytes that are not UTF-8: a lone continuation byte, 0xFF, an overlong "/" (C0 AF), an
# encoded surrogate (ED A0 80), a sequence cut short.
INVALID_UTF8 = b"\x80abc\xff\xfe\xc0\xaf\xed\xa0\x80\xe4\xb8"

# For JSON APIs: json.loads turns "\ud800" into a lone surrogate, which no database stores.
LONE_SURROGATE = "\ud800"
# Nested deeper than Python's recursion limit: json.loads raises RecursionError.
DEEP_JSON = "[" * 5000 + "]" * 5000


def hostile_texts() -> list[tuple[str, str]]:
    """(name, text) of every corpus string, for parametrising tests."""
    return list(STRINGS.items())


def is_clean(text: str) -> bool:
    """No character that `clean_text` would drop is left in `text`."""
    return not any(c in text for c in CLEANED_AWAY)


# ── images ────────────────────────────────────────────────────────────────────────────


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A genuine PNG decompression bomb: 400 megapixels of a 1-bit image, every pixel zero,
    in a file of some 60 KB. Decoded as 8-bit pixels it would take 400 MB."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then packed bits
    compressor = zlib.compressobj(9)
    block_rows = max(1, (1 << 20) // len(row))
    parts, left = [], height
    while left > 0:
        n = min(left, block_rows)
        parts.append(compressor.compress(row * n))
        left -= n
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def png_header_bomb(width: int = 0x7FFF_FFFF, height: int = 0x7FFF_FFFF) -> bytes:
    """A tiny PNG whose header claims absurd dimensions and whose pixel data is missing."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b"")


@functools.cache
def jpeg(width: int = 600, height: int = 800) -> bytes:
    """An ordinary, valid photo-sized JPEG (a gradient with some detail)."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.6), fill=(225, 185, 160))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    """A photo cut off halfway, as by an interrupted transfer."""
    data = jpeg()
    return data[: len(data) // 2]


def polyglot_jpeg() -> bytes:
    """A valid JPEG that is also an HTML page with a script (in a comment segment) and a
    ZIP archive (appended after the image): browsers sniffing it, or unzip, see other
    things than an image viewer does."""
    data = jpeg()
    html = f"<html><body>{SCRIPT}</body></html>".encode()
    comment = b"\xff\xfe" + struct.pack(">H", len(html) + 2) + html
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.html", html)
    return data[:2] + comment + data[2:] + archive.getvalue()


def html_as_image() -> bytes:
    """An HTML page with a script, to be uploaded under an image's name."""
    return f"<!DOCTYPE html><html><body>{SCRIPT}</body></html>".encode()


def gif() -> bytes:
    """A small GIF: an image format no photo upload accepts."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 200, 200)).save(buffer, "GIF")
    return buffer.getvalue()


def oversized(size: int = 25 * 1024 * 1024, prefix: bytes = b"\xff\xd8\xff\xe0") -> bytes:
    """A file of `size` bytes (25 MB by default) starting like a JPEG: over every limit."""
    return prefix + bytes(size - len(prefix))


# ── spreadsheets ──────────────────────────────────────────────────────────────────────


def xlsx(rows: list[list[object]]) -> bytes:
    """An ordinary XLSX workbook of `rows` (the first row is the header). Characters XML
    cannot carry at all (most control characters) are left out: no workbook holds them."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@functools.cache
def xlsx_bomb(megabytes: int = 200) -> bytes:
    """A zip bomb in XLSX clothing: a workbook of about 200 KB whose only sheet unpacks to
    `megabytes` MB (one cell holding that much text). Unchecked, reading it costs seconds
    and gigabytes."""
    base = zipfile.ZipFile(io.BytesIO(xlsx([["报名号", "评语"], ["01020001", "好"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in base.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info, base.read(info.filename))
                continue
            with z.open(info.filename, "w", force_zip64=True) as f:
                f.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                    b'main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
                )
                chunk = b"A" * (1 << 20)
                for _ in range(megabytes):
                    f.write(chunk)
                f.write(b"</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


def csv_invalid_utf8(header: str = "报名号,评语") -> bytes:
    """A CSV whose header is fine but whose rows hold invalid UTF-8 (and no valid GBK
    either: 0xFF is neither) and NUL bytes."""
    return (
        header.encode("utf-8")
        + b"\r\n01020001,"
        + INVALID_UTF8
        + b"\r\n01020002,ok\x00\x00\r\n"
        + b"\xff\xff\xff\r\n"
    )


def csv_with_nul(header: str = "报名号,评语", number: str = "01020001") -> bytes:
    """A valid UTF-8 CSV whose comment cell holds NUL and other control characters."""
    return f"{header}\r\n{number},认真\x00负责\x1b[0m\u202e好\r\n".encode()


def csv_huge_field(header: str = "报名号,评语") -> bytes:
    """A CSV with one cell beyond the csv module's field limit (128 KiB)."""
    return f'{header}\r\n01020001,"{"字" * 200_000}"\r\n'.encode()


def random_bytes(size: int, seed: int = 0) -> bytes:
    import random

    return random.Random(seed).randbytes(size)
