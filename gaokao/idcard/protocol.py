"""The serial protocol of second-generation ID card readers (SAM_A, GA 467), as in
docs/domain/idcard-reader.md.

A frame is ``AA AA AA 96 69``, a big-endian length of what follows (checksum included),
then ``CMD PARA [data]`` towards the SAM or ``SW1 SW2 SW3 [data]`` back, then a checksum:
the XOR of every byte from the length up to the last data byte.

Everything that can go wrong is a ReaderError with a ``code`` (a stable slug for programs)
and a ``message`` (for staff, translated).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from functools import reduce

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_SIZE = len(PREAMBLE) + 2  # preamble and LEN
MIN_REQUEST_LEN = 3  # CMD PARA CHK
MIN_REPLY_LEN = 4  # SW1 SW2 SW3 CHK
# The longest documented reply (30 10: text, photo and fingerprint) has LEN 2314; anything
# far beyond that is line noise that happened to contain a preamble.
MAX_LEN = 4096

TEXT_SIZE = 256
PHOTO_SIZE = 1024
SAM_ID_SIZE = 16


class Command(enum.Enum):
    """CMD PARA of the commands in docs/domain/idcard-reader.md §2."""

    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_TEXT_PHOTO = (0x30, 0x01)
    READ_NEW_ADDRESS = (0x30, 0x03)
    READ_TEXT_PHOTO_FINGERPRINT = (0x30, 0x10)

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]

    def frame(self, data: bytes = b"") -> bytes:
        return command_frame(self.cmd, self.para, data)


class Status(enum.IntEnum):
    """SW3 of a reply (docs/domain/idcard-reader.md §3). ``code`` is the slug, ``message``
    the staff text."""

    SUCCESS = 0x90
    FOUND = 0x9F
    NO_SUCH_ITEM = 0x91
    COMMAND_CHECKSUM = 0x10
    COMMAND_LENGTH = 0x11
    BAD_COMMAND = 0x21
    UNAUTHORISED = 0x23
    UNRECOGNISED_ERROR = 0x24
    CARD_REJECTED_SAM = 0x31
    SAM_REJECTED_CARD = 0x32
    VERIFICATION_FAILED = 0x33
    FINGERPRINT_ERROR = 0x37
    INFO_LENGTH_ERROR = 0x3F
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    NO_CARD = 0x80
    SELECT_FAILED = 0x81

    @property
    def code(self) -> str:
        return self.name.lower()

    @property
    def message(self) -> Promise:
        return STATUS_MESSAGES[self]


STATUS_MESSAGES = {
    Status.SUCCESS: _("The reader completed the command."),
    Status.FOUND: _("A card was found on the reader."),
    Status.NO_SUCH_ITEM: _("The card does not hold this item."),
    Status.COMMAND_CHECKSUM: _(
        "The reader received a garbled command. Check the cable and try again."
    ),
    Status.COMMAND_LENGTH: _("The reader received a command of the wrong length."),
    Status.BAD_COMMAND: _("The reader does not know this command."),
    Status.UNAUTHORISED: _("The reader refused the operation as unauthorised."),
    Status.UNRECOGNISED_ERROR: _("The reader reported an unrecognised error. Try again."),
    Status.CARD_REJECTED_SAM: _(
        "The card did not accept the reader's security module. Try again; if it keeps"
        " failing, the card may be damaged."
    ),
    Status.SAM_REJECTED_CARD: _(
        "The reader's security module could not authenticate the card. The card may be"
        " damaged or not genuine."
    ),
    Status.VERIFICATION_FAILED: _("The card's information failed verification."),
    Status.FINGERPRINT_ERROR: _("The fingerprint verification failed."),
    Status.INFO_LENGTH_ERROR: _("The card's information has the wrong length."),
    Status.UNKNOWN_CARD_TYPE: _(
        "This kind of card is not supported. Use a resident ID card, a residence permit for"
        " Hong Kong, Macao and Taiwan residents or a foreigner's permanent residence card."
    ),
    Status.READ_FAILED: _("The card could not be read. Hold it still and try again."),
    Status.RANDOM_FAILED: _("The card did not answer the reader's challenge. Try again."),
    Status.SELF_TEST_FAILED: _("The reader's security module failed its self-test."),
    Status.SAM_NOT_AUTHORISED: _("The reader's security module is not authorised."),
    Status.NO_CARD: _("No card on the reader. Place the card flat on the reader and try again."),
    Status.SELECT_FAILED: _(
        "The card could not be selected. Lift it, place it flat on the reader again and retry."
    ),
}


# ── errors ────────────────────────────────────────────────────────────────────────────


class ReaderError(Exception):
    """Anything that went wrong talking to the reader or reading the card."""

    code = "reader_error"
    default_message = _("The ID-card reader reported an error. Try again.")

    def __init__(self, message=None, *, code: str | None = None, status: int | None = None):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.status = status
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NoCard(ReaderError):
    code = Status.NO_CARD.code
    default_message = Status.NO_CARD.message


class ReadFailed(ReaderError):
    code = Status.READ_FAILED.code
    default_message = Status.READ_FAILED.message


class UnknownCardType(ReaderError):
    code = Status.UNKNOWN_CARD_TYPE.code
    default_message = Status.UNKNOWN_CARD_TYPE.message


class ChecksumError(ReaderError):
    code = "checksum_error"
    default_message = _("The reader's answer was garbled (checksum error). Try again.")


class ReaderTimeout(ReaderError):
    code = "timeout"
    default_message = _(
        "The reader did not answer in time. Check that it is plugged in and switched on."
    )


class ProtocolError(ReaderError):
    code = "protocol_error"
    default_message = _("The reader's answer could not be understood. Try again.")


class BadCardData(ReaderError):
    """The card's text block does not hold what its layout says (a date that is no date…)."""

    code = "bad_card_data"
    default_message = _("The data read from the card is not valid. Read the card again.")


class PortUnavailable(ReaderError):
    code = "port_unavailable"
    default_message = _("The ID-card reader is not connected. Check the cable and try again.")


_STATUS_ERRORS: dict[Status, type[ReaderError]] = {
    Status.NO_CARD: NoCard,
    Status.READ_FAILED: ReadFailed,
    Status.UNKNOWN_CARD_TYPE: UnknownCardType,
}


def status_error(sw3: int) -> ReaderError:
    """The exception for a reply whose SW3 is not the one the command expects."""
    try:
        status = Status(sw3)
    except ValueError:
        return ReaderError(
            _("The reader answered with a status this program does not know."),
            code="unknown_status",
            status=sw3,
        )
    cls = _STATUS_ERRORS.get(status, ReaderError)
    return cls(status.message, code=status.code, status=sw3)


# ── frames ────────────────────────────────────────────────────────────────────────────


def checksum(data: bytes) -> int:
    """XOR of ``data``: pass everything from LEN_H up to the last data byte."""
    return reduce(lambda a, b: a ^ b, data, 0)


def _frame(body: bytes) -> bytes:
    length = struct.pack(">H", len(body) + 1)
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def command_frame(cmd: int, para: int, data: bytes = b"") -> bytes:
    """The full frame of a command to the SAM, e.g. ``command_frame(0x20, 0x01)``."""
    return _frame(bytes([cmd, para]) + bytes(data))


def reply_frame(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """The full frame of a reply from the SAM (the simulator and the tests build these)."""
    return _frame(bytes([sw1, sw2, sw3]) + bytes(data))


def _check_frame(frame: bytes, min_len: int) -> bytes:
    """Validate preamble, length and checksum; return the body (between LEN and CHK)."""
    frame = bytes(frame)
    if len(frame) < HEADER_SIZE or not frame.startswith(PREAMBLE):
        raise ProtocolError()
    (length,) = struct.unpack(">H", frame[5:7])
    if not min_len <= length <= MAX_LEN or len(frame) != HEADER_SIZE + length:
        raise ProtocolError()
    if checksum(frame[5:-1]) != frame[-1]:
        raise ChecksumError()
    return frame[7:-1]


@dataclass(frozen=True)
class Reply:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    def expect(self, *ok: int) -> Reply:
        """Return self if SW3 is one of ``ok`` (default: success), else raise its error."""
        if self.sw3 not in (ok or (Status.SUCCESS,)):
            raise status_error(self.sw3)
        return self


def parse_reply(frame: bytes) -> Reply:
    """Parse one complete reply frame. Raises ProtocolError or ChecksumError."""
    body = _check_frame(frame, MIN_REPLY_LEN)
    return Reply(body[0], body[1], body[2], body[3:])


@dataclass(frozen=True)
class Request:
    cmd: int
    para: int
    data: bytes


def parse_request(frame: bytes) -> Request:
    """Parse one complete command frame (the simulator's side)."""
    body = _check_frame(frame, MIN_REQUEST_LEN)
    return Request(body[0], body[1], body[2:])


class FrameBuffer:
    """Collects bytes from a stream and cuts complete frames out of it.

    Bytes before a preamble are dropped. A header with an impossible length raises
    ProtocolError once and is dropped, so the stream resynchronises on the next preamble.
    """

    def __init__(self, min_len: int = MIN_REPLY_LEN) -> None:
        self.min_len = min_len
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def __len__(self) -> int:
        return len(self._buffer)

    def pop(self) -> bytes | None:
        start = self._buffer.find(PREAMBLE)
        if start < 0:
            # Keep a tail that may be the start of a preamble split across reads.
            del self._buffer[: max(0, len(self._buffer) - (len(PREAMBLE) - 1))]
            return None
        del self._buffer[:start]
        if len(self._buffer) < HEADER_SIZE:
            return None
        (length,) = struct.unpack(">H", self._buffer[5:7])
        if not self.min_len <= length <= MAX_LEN:
            del self._buffer[:1]
            raise ProtocolError()
        if len(self._buffer) < HEADER_SIZE + length:
            return None
        frame = bytes(self._buffer[: HEADER_SIZE + length])
        del self._buffer[: HEADER_SIZE + length]
        return frame


# ── payloads ──────────────────────────────────────────────────────────────────────────


def parse_read_payload(
    data: bytes, *, fingerprint: bool = False
) -> tuple[bytes, bytes, bytes | None]:
    """Split the data of a 30 01 (or, with ``fingerprint``, 30 10) reply into the 256-byte
    text, the 1024-byte WLT photo and the fingerprint (docs/domain/idcard-reader.md §4)."""
    words = 3 if fingerprint else 2
    if len(data) < 2 * words:
        raise ProtocolError()
    lengths = struct.unpack(f">{words}H", data[: 2 * words])
    text_len, photo_len = lengths[0], lengths[1]
    if text_len != TEXT_SIZE or photo_len != PHOTO_SIZE or len(data) != 2 * words + sum(lengths):
        raise ProtocolError()
    text = data[2 * words : 2 * words + text_len]
    photo = data[2 * words + text_len : 2 * words + text_len + photo_len]
    fp = data[2 * words + text_len + photo_len :] if fingerprint else None
    return bytes(text), bytes(photo), fp


def build_read_payload(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    lengths = [len(text), len(photo)] + ([] if fingerprint is None else [len(fingerprint)])
    return struct.pack(f">{len(lengths)}H", *lengths) + text + photo + (fingerprint or b"")


def format_sam_id(data: bytes) -> str:
    """Show a 16-byte SAM ID as ``AA.BB-xxxxxxxx-nnnnnnnnnn-nnnnnnnnnn``
    (docs/domain/idcard-reader.md §2).

    The source names two single bytes, a little-endian uint32 and two little-endian uint32
    printed as 10 digits: 14 bytes of 16. We read the two leading fields as little-endian
    16-bit words (their high bytes are zero in practice), which accounts for all 16 bytes.
    """
    if len(data) != SAM_ID_SIZE:
        raise ProtocolError()
    a, b, serial, n1, n2 = struct.unpack("<HHIII", data)
    return f"{a:02d}.{b:02d}-{serial:08d}-{n1:010d}-{n2:010d}"
