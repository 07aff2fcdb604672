"""Masked identity numbers for lists, search results, the audit trail, logs and messages:
430***********123X. The full number is shown only where the plan needs it (login card,
proofreading sheet, registration form, exports) and to staff who ask for it on the
candidate's page, each time recorded in the audit trail."""

from __future__ import annotations

import re

MASK = "*"
# Resident ID numbers (18: 17 digits and a digit or X; and the old 15-digit numbers) inside
# longer text, for logs and messages.
_RESIDENT = re.compile(r"(?<![0-9A-Za-z])(?:[1-9][0-9]{16}[0-9Xx]|[1-9][0-9]{14})(?![0-9A-Za-z])")


def _kept(length: int) -> tuple[int, int]:
    """How many characters stay visible at the start and the end."""
    if length >= 15:
        return 3, 4
    if length >= 8:
        return 2, 2
    if length >= 5:
        return 1, 1
    return 0, 0


def mask_id(value: str | None) -> str:
    """First 3 and last 4 characters of an ID number, asterisks between
    (430102200203150011 → 430***********0011); fewer for short numbers, none for 4 or less."""
    if not value:
        return ""
    text = str(value)
    head, tail = _kept(len(text))
    return text[:head] + MASK * (len(text) - head - tail) + (text[-tail:] if tail else "")


def mask_ids_in(text: str) -> str:
    """Every resident ID number within `text`, masked."""
    return _RESIDENT.sub(lambda m: mask_id(m.group(0)), text)
