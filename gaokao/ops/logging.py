"""Log records with the request id (E3). (Being built: JSON lines.)"""

import logging


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", "-")
        return True


class JsonFormatter(logging.Formatter):
    pass
