"""Talking to an ID-card reader over any pyserial URL: ``/dev/ttyUSB0``, ``COM3``,
``socket://127.0.0.1:PORT`` (the simulator, or a serial-to-network box), ``loop://``.

Every command waits at most ``timeout`` seconds for its whole reply: a reader that is
silent, or stops halfway through a reply, gives ReaderTimeout instead of a hang.
"""

from __future__ import annotations

import contextlib
import time

import serial

from gaokao.idcard.cards import CardIdentity, parse_text
from gaokao.idcard.protocol import (
    SAM_ID_SIZE,
    Command,
    FrameBuffer,
    NoCard,
    PortUnavailable,
    ProtocolError,
    ReaderTimeout,
    Reply,
    Status,
    format_sam_id,
    parse_read_payload,
    parse_reply,
)

BAUD_RATE = 115200  # docs/domain/idcard-reader.md §2
POLL = 0.02  # how long one read of the port may block; the deadline is checked between


class Reader:
    """One reader on one port. Not thread-safe: one caller at a time (the bridge locks)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 3.0,
        find_attempts: int = 5,
        find_interval: float = 0.1,
        baudrate: int = BAUD_RATE,
    ) -> None:
        if timeout <= 0 or find_attempts < 1:
            raise ValueError("timeout must be positive and find_attempts at least 1")
        self.url = url
        self.timeout = timeout
        self.find_attempts = find_attempts
        self.find_interval = find_interval
        try:
            self._port = serial.serial_for_url(
                url, baudrate=baudrate, timeout=min(POLL, timeout), write_timeout=timeout
            )
        except (serial.SerialException, ValueError, OSError) as e:
            raise PortUnavailable() from e

    # ── the commands ──

    def transact(self, command: Command, data: bytes = b"", *, ok=(Status.SUCCESS,)) -> Reply:
        """Send a command, wait for its reply and check its status."""
        try:
            # A late reply to an earlier, timed-out command must not pass for this one's.
            self._port.reset_input_buffer()
            self._port.write(command.frame(data))
            frame = self._receive()
        except serial.SerialTimeoutException as e:
            raise ReaderTimeout() from e
        except (serial.SerialException, OSError) as e:
            raise PortUnavailable() from e
        return parse_reply(frame).expect(*ok)

    def _receive(self) -> bytes:
        deadline = time.monotonic() + self.timeout
        frames = FrameBuffer()
        while True:
            frame = frames.pop()
            if frame is not None:
                return frame
            if time.monotonic() >= deadline:
                raise ReaderTimeout()
            waiting = self._port.in_waiting
            frames.feed(self._port.read(min(max(waiting, 1), 4096)))

    def sam_status(self) -> None:
        """Raise unless the SAM passes its status check (11 FF)."""
        self.transact(Command.SAM_STATUS)

    def sam_id(self) -> str:
        """The SAM's ID (12 FF), as ``05.01-20200315-0123456789-0987654321``."""
        reply = self.transact(Command.SAM_ID)
        if len(reply.data) != SAM_ID_SIZE:
            raise ProtocolError()
        return format_sam_id(reply.data)

    def find_card(self) -> None:
        """One attempt to find a card (20 01); NoCard if there is none."""
        # 9F is documented; some modules answer a plain 90.
        self.transact(Command.FIND_CARD, ok=(Status.FOUND, Status.SUCCESS))

    def select_card(self) -> None:
        self.transact(Command.SELECT_CARD)

    def read_text_photo(self) -> tuple[bytes, bytes]:
        """The 256-byte text block and the 1024-byte WLT photo (30 01)."""
        reply = self.transact(Command.READ_TEXT_PHOTO)
        text, photo, _ = parse_read_payload(reply.data)
        return text, photo

    def read_card(self) -> CardIdentity:
        """Find (with retries: a card often needs a few), select and read the card."""
        for attempt in range(self.find_attempts):
            try:
                self.find_card()
                break
            except NoCard:
                if attempt == self.find_attempts - 1:
                    raise
                time.sleep(self.find_interval)
        self.select_card()
        return parse_text(*self.read_text_photo())

    # ── the port ──

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self._port.close()

    @property
    def closed(self) -> bool:
        return not self._port.is_open

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
