"""Free text as gaokao stores it: whatever people type or paste, without the characters that
hide or disguise what is shown.

`clean_text` is used by every service that stores text from a person or a point client
(the candidate's data, comments, incidents, notices, pause messages, account names…), so
that a right-to-left override cannot make ``gpj.exe`` read ``exe.jpg``, zero-width
characters cannot make two names look alike, and NUL (which PostgreSQL refuses in text)
never reaches the database. Markup is kept as typed: templates escape it when shown.
"""

import unicodedata
from typing import Any

# Control (Cc: NUL, escape codes…), format (Cf: bidi overrides and isolates, zero-width
# characters, the BOM) and lone surrogates (Cs: a JSON "\ud800" decodes to one; no database
# stores it). Private-use (Co) and unassigned (Cn) characters stay: rare characters of
# people's names live there in some input methods, or are newer than Python's tables.
DROPPED = frozenset({"Cc", "Cf", "Cs"})
# Line and paragraph separators (U+2028, U+2029) count as line breaks.
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n"})


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Drop control and format characters (bidi overrides, zero-width, escape codes...);
    keep line breaks (as \\n) in long text. Surrounding space is stripped."""
    text = str(value or "").replace("\r\n", "\n").translate(_LINE_BREAKS)
    kept = (
        ch for ch in text if (multiline and ch == "\n") or unicodedata.category(ch) not in DROPPED
    )
    text = "".join(kept).strip()
    return "\n".join(line.rstrip() for line in text.split("\n")) if multiline else text
