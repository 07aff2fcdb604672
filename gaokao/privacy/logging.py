"""A logging filter that masks resident ID numbers in every record: the message with its
arguments, and text given in `extra=`. settings.LOGGING puts it on the console handler, so
that no line for the log collector carries a full number, whoever logged it."""

from __future__ import annotations

import logging

from gaokao.privacy.masking import mask_ids_in

_STANDARD = frozenset(vars(logging.makeLogRecord({})))


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the formatter to report
            return True
        masked = mask_ids_in(message)
        if masked != message:
            record.msg, record.args = masked, None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, mask_ids_in(value))
        return True
