"""A simulated SAM reader: answers real frames with real replies, from a deck of made-up
cards, so that the bridge, the demo and the tests run without hardware.

``SimulatedSam.handle(frame)`` is the reader itself (bytes in, bytes out); ``SimulatorServer``
puts it behind a TCP socket on 127.0.0.1, so ``Reader("socket://127.0.0.1:PORT")`` talks to
it exactly as to a serial module. Each card placed on the reader is the next of the deck, so
reading in a batch gives different people; ``place()`` puts a particular card on it, and
``inject()`` makes the next replies go wrong in the ways real readers do.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import itertools
import logging
import socketserver
import struct
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from gaokao.idcard.cards import (
    FLAG_OF,
    FOREIGNER_2017,
    FOREIGNER_2023,
    HMT_PERMIT,
    LAYOUTS,
    LONG_TERM,
    RESIDENT,
    TYPE_FLAG,
    CardIdentity,
)
from gaokao.idcard.protocol import (
    MIN_REQUEST_LEN,
    PHOTO_SIZE,
    TEXT_SIZE,
    ChecksumError,
    Command,
    FrameBuffer,
    ProtocolError,
    Status,
    build_read_payload,
    parse_request,
    reply_frame,
)
from gaokao.lib.idnumber import check_digit

logger = logging.getLogger(__name__)

# Shown by the bridge's /status as 05.01-20200315-0123456789-0987654321.
SIMULATED_SAM_ID = struct.pack("<HHIII", 5, 1, 20200315, 123456789, 987654321)


@dataclass(frozen=True)
class SimCard:
    """A card to simulate: the identity and what else its text block holds."""

    identity: CardIdentity
    address: str = ""  # on the card, never kept by the reader's user (O4)
    english_name: str = ""  # foreigner cards
    nationality: str = ""  # foreigner cards, GB/T 2659 alpha-3
    travel_permit: str = ""  # HMT permits: the 通行证 (travel permit) number
    issue_count: str = ""  # HMT permits: 签发次数


def fake_wlt(seed: str) -> bytes:
    """1024 bytes standing in for a WLT photo (no one can decode it anyway)."""
    out = b"WLT-SIMULATED\0"
    block = seed.encode()
    while len(out) < PHOTO_SIZE:
        block = hashlib.sha256(block).digest()
        out += block
    return out[:PHOTO_SIZE]


def encode_text(card: SimCard, type_flag: str | None = None) -> bytes:
    """The 256-byte UCS-2LE text block of ``card``, in its layout
    (docs/domain/idcard-reader.md §5)."""
    identity = card.identity
    layout = LAYOUTS[identity.card_type]
    block = bytearray(" ".encode("utf-16-le") * (TEXT_SIZE // 2))

    def put(name: str, value: str) -> None:
        offset, size = layout[name] if name != "type_flag" else TYPE_FLAG
        raw = value.encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"{name} {value!r} does not fit in {size} bytes")
        block[offset : offset + len(raw)] = raw

    def day(value: dt.date | None) -> str:
        return value.strftime("%Y%m%d") if value else LONG_TERM

    put("name", identity.name)
    put("sex", identity.sex)
    put("birth_date", day(identity.birth_date))
    put("id_number", identity.id_number)
    put("valid_from", day(identity.valid_from))
    put("valid_until", day(identity.valid_until))
    put("issuing_authority", identity.issuing_authority)
    if identity.card_type in (RESIDENT, HMT_PERMIT):
        put("ethnicity", identity.ethnicity)
        put("address", card.address)
    if identity.card_type == HMT_PERMIT:
        put("travel_permit", card.travel_permit)
        put("issue_count", card.issue_count)
    if identity.card_type == FOREIGNER_2017:
        put("english_name", card.english_name)
        put("nationality", card.nationality)
    if identity.card_type == FOREIGNER_2023:
        put("english_name", card.english_name[:35])
        put("english_name_2", card.english_name[35:])
        put("nationality", card.nationality)
    flag = type_flag if type_flag is not None else FLAG_OF[identity.card_type]
    if identity.card_type != RESIDENT or type_flag is not None:
        put("type_flag", flag)
    return bytes(block)


# ── the deck ──────────────────────────────────────────────────────────────────────────


def resident_number(area: str, birth: dt.date, sequence: int, sex: str) -> str:
    """A valid 18-character number: odd sequence for men, even for women."""
    if sequence % 2 != (1 if sex == "1" else 0):
        sequence += 1
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def _resident(name, sex, ethnicity, area, birth, sequence, authority, address, issued=None):
    """A resident ID card issued at 16 for ten years, or on ``issued`` for good (长期)."""
    return SimCard(
        identity=CardIdentity(
            card_type=RESIDENT,
            name=name,
            sex=sex,
            ethnicity=ethnicity,
            birth_date=birth,
            id_number=resident_number(area, birth, sequence, sex),
            issuing_authority=authority,
            valid_from=issued or dt.date(birth.year + 16, 9, 1),
            valid_until=None if issued else dt.date(birth.year + 26, 9, 1),
            photo_wlt=fake_wlt(name),
        ),
        address=address,
    )


def default_deck(today: dt.date | None = None) -> list[SimCard]:
    """Made-up people, most of exam age relative to ``today``: Hunan resident ID cards
    (汉 01, 土家 15, 苗 06, 侗 12; one long-term card), a Hong Kong residence permit and one
    permanent residence card of each version."""
    year = (today or dt.date.today()).year

    def born(age: int, month: int, day: int) -> dt.date:
        return dt.date(year - age, month, day)

    deck = [
        _resident("张思远", "1", "01", "430102", born(18, 3, 15), 11, "长沙市公安局芙蓉分局",
                  "湖南省长沙市芙蓉区五一大道100号"),
        _resident("向春燕", "2", "15", "433101", born(18, 7, 9), 22, "吉首市公安局",
                  "湖南省吉首市人民北路8号"),
        _resident("龙海波", "1", "06", "433123", born(19, 11, 30), 35, "凤凰县公安局",
                  "湖南省凤凰县沱江镇虹桥路6号"),
        _resident("吴晓丽", "2", "12", "431230", born(18, 1, 25), 48, "通道侗族自治县公安局",
                  "湖南省通道侗族自治县双江镇"),
        _resident("欧阳明轩", "1", "01", "430302", born(17, 5, 18), 57, "湘潭市公安局雨湖分局",
                  "湖南省湘潭市雨湖区韶山西路1号"),
        # An adult candidate whose card, issued after 46, is valid long-term (长期).
        _resident("彭桂兰", "2", "15", "430821", born(50, 9, 3), 64, "慈利县公安局",
                  "湖南省慈利县零阳镇", issued=dt.date(year - 4, 10, 8)),
    ]  # fmt: skip
    hk_birth = born(18, 8, 8)
    deck.append(
        SimCard(
            identity=CardIdentity(
                card_type=HMT_PERMIT,
                name="陈家乐",
                sex="1",
                ethnicity="",
                birth_date=hk_birth,
                id_number=resident_number("810000", hk_birth, 13, "1"),
                issuing_authority="长沙市公安局",
                valid_from=dt.date(year - 1, 3, 1),
                valid_until=dt.date(year + 4, 3, 1),
                photo_wlt=fake_wlt("陈家乐"),
            ),
            address="湖南省长沙市岳麓区麓山南路2号",
            travel_permit="H60231847",
            issue_count="01",
        )
    )
    deck.append(
        SimCard(
            identity=CardIdentity(
                card_type=FOREIGNER_2017,
                name="米马克",
                sex="1",
                ethnicity="",
                birth_date=born(19, 4, 12),
                id_number="USA431005120013",
                issuing_authority="1500",
                valid_from=dt.date(2021, 6, 1),
                valid_until=dt.date(2031, 6, 1),
                photo_wlt=fake_wlt("MILLER"),
            ),
            english_name="MILLER, MARK JAMES",
            nationality="USA",
        )
    )
    ua_birth = born(18, 9, 21)
    first17 = f"943804{ua_birth:%Y%m%d}002"
    deck.append(
        SimCard(
            identity=CardIdentity(
                card_type=FOREIGNER_2023,
                name="安娜",
                sex="2",
                ethnicity="",
                birth_date=ua_birth,
                id_number=first17 + check_digit(first17),
                issuing_authority="国家移民管理局",
                valid_from=dt.date(year - 1, 3, 1),
                valid_until=dt.date(year + 4, 3, 1),
                photo_wlt=fake_wlt("KOVALENKO"),
            ),
            english_name="KOVALENKO, ANNA",
            nationality="UKR",
        )
    )
    return deck


# ── the simulated SAM ─────────────────────────────────────────────────────────────────


class Fault(enum.StrEnum):
    """Ways the next reply can go wrong."""

    NO_CARD = "no_card"  # find answers 80
    READ_FAILED = "read_failed"  # read answers 41
    UNKNOWN_CARD_TYPE = "unknown_card_type"  # read gives a text block with type flag 'Z'
    BAD_CHECKSUM = "bad_checksum"  # the reply's checksum byte is wrong
    TRUNCATED = "truncated"  # only the first half of the reply is sent
    SILENCE = "silence"  # no reply at all


# Which command a fault hits unless told otherwise (None: whatever comes next).
FAULT_TARGETS = {
    Fault.NO_CARD: Command.FIND_CARD,
    Fault.READ_FAILED: Command.READ_TEXT_PHOTO,
    Fault.UNKNOWN_CARD_TYPE: Command.READ_TEXT_PHOTO,
    Fault.BAD_CHECKSUM: Command.READ_TEXT_PHOTO,
    Fault.TRUNCATED: Command.READ_TEXT_PHOTO,
    Fault.SILENCE: None,
}
_DEFAULT = object()


@dataclass
class _Pending:
    fault: Fault
    on: Command | None
    remaining: int | None  # None: until cleared


class SimulatedSam:
    """A SAM module with a card reader. ``auto_place``: whenever a card has been read (or
    none lies there), the next find puts the next card of the deck on the reader."""

    def __init__(
        self,
        deck: Iterable[SimCard] | None = None,
        *,
        auto_place: bool = True,
        sam_id: bytes = SIMULATED_SAM_ID,
    ) -> None:
        self._cards = list(deck) if deck is not None else default_deck()
        if not self._cards and auto_place:
            raise ValueError("auto_place needs a deck with cards")
        self.sam_id = sam_id
        self._lock = threading.RLock()
        self.reset(auto_place=auto_place)

    def reset(self, *, auto_place: bool = True) -> None:
        """Back to the first card of the deck, no card on the reader and no faults."""
        with self._lock:
            self._deck = itertools.cycle(self._cards) if self._cards else iter(())
            self.auto_place = auto_place
            self.card: SimCard | None = None
            self._fresh = False  # placed and not read yet
            self._selected = False
            self._faults: list[_Pending] = []
            self.served: deque[CardIdentity] = deque(maxlen=1000)  # identities read, in order
            self.received: deque[bytes] = deque(maxlen=1000)  # frames received

    # Handling the card and the faults (the test's hand).

    def place(self, card: SimCard | CardIdentity) -> None:
        """Put a particular card on the reader."""
        if isinstance(card, CardIdentity):
            card = SimCard(card)
        with self._lock:
            self.card, self._fresh, self._selected = card, True, False

    def place_next(self) -> SimCard:
        with self._lock:
            card = next(self._deck)
            self.place(card)
            return card

    def take_card(self) -> None:
        with self._lock:
            self.card, self._fresh, self._selected = None, False, False

    def inject(self, fault: Fault | str, *, count: int | None = 1, on=_DEFAULT) -> None:
        """Make the next ``count`` commands ``on`` (default: the fault's usual command,
        FAULT_TARGETS) go wrong; ``count=None`` keeps the fault until clear_faults()."""
        fault = Fault(fault)
        target = FAULT_TARGETS[fault] if on is _DEFAULT else on
        with self._lock:
            self._faults.append(_Pending(fault, target, count))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # The reader's side.

    def handle(self, frame: bytes) -> bytes | None:
        """The reply to one complete command frame, or None for silence."""
        with self._lock:
            self.received.append(bytes(frame))
            try:
                request = parse_request(frame)
            except ChecksumError:
                return reply_frame(Status.COMMAND_CHECKSUM)
            except ProtocolError:
                return reply_frame(Status.COMMAND_LENGTH)
            try:
                command = Command((request.cmd, request.para))
            except ValueError:
                return reply_frame(Status.BAD_COMMAND)
            fault = self._take_fault(command)
            if fault == Fault.SILENCE:
                return None
            if fault == Fault.NO_CARD:
                return reply_frame(Status.NO_CARD)
            if fault == Fault.READ_FAILED:
                return reply_frame(Status.READ_FAILED)
            reply = self._answer(command, unknown_type=fault == Fault.UNKNOWN_CARD_TYPE)
            if fault == Fault.BAD_CHECKSUM:
                reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
            elif fault == Fault.TRUNCATED:
                reply = reply[: len(reply) // 2]
            return reply

    def _take_fault(self, command: Command) -> Fault | None:
        for pending in self._faults:
            if pending.on is None or pending.on == command:
                if pending.remaining is not None:
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        self._faults.remove(pending)
                return pending.fault
        return None

    def _answer(self, command: Command, unknown_type: bool = False) -> bytes:
        if command == Command.SAM_STATUS:
            return reply_frame(Status.SUCCESS)
        if command == Command.SAM_ID:
            return reply_frame(Status.SUCCESS, self.sam_id)
        if command == Command.FIND_CARD:
            if self.auto_place and (self.card is None or not self._fresh):
                self.place_next()
            if self.card is None or not self._fresh:
                return reply_frame(Status.NO_CARD)
            return reply_frame(Status.FOUND, bytes(4))
        if command == Command.SELECT_CARD:
            if self.card is None or not self._fresh:
                return reply_frame(Status.SELECT_FAILED)
            self._selected = True
            return reply_frame(Status.SUCCESS, bytes(8))
        if command in (Command.READ_TEXT_PHOTO, Command.READ_TEXT_PHOTO_FINGERPRINT):
            if self.card is None or not self._selected:
                return reply_frame(Status.READ_FAILED)
            text = encode_text(self.card, type_flag="Z" if unknown_type else None)
            fingerprint = bytes(1024) if command == Command.READ_TEXT_PHOTO_FINGERPRINT else None
            payload = build_read_payload(text, self.card.identity.photo_wlt, fingerprint)
            self._fresh = self._selected = False  # read: lift it for the next one
            self.served.append(self.card.identity)
            return reply_frame(Status.SUCCESS, payload)
        # READ_NEW_ADDRESS: the simulated cards carry no appended address.
        return reply_frame(Status.NO_SUCH_ITEM)


# ── over TCP ──────────────────────────────────────────────────────────────────────────


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        sock = self.request
        sock.settimeout(0.05)
        frames = FrameBuffer(min_len=MIN_REQUEST_LEN)
        while not self.server.stopping.is_set():
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            frames.feed(chunk)
            while True:
                try:
                    frame = frames.pop()
                except ProtocolError:
                    reply = reply_frame(Status.COMMAND_LENGTH)
                else:
                    if frame is None:
                        break
                    reply = self.server.sam.handle(frame)
                if reply:
                    try:
                        sock.sendall(reply)
                    except OSError:
                        return


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, sam: SimulatedSam) -> None:
        self.sam = sam
        self.stopping = threading.Event()
        super().__init__(address, _Handler)


class SimulatorServer:
    """The simulated reader on a TCP port of 127.0.0.1; ``url`` is for ``Reader``."""

    def __init__(self, sam: SimulatedSam | None = None, port: int = 0) -> None:
        self.sam = sam or SimulatedSam()
        self._server = _TCPServer(("127.0.0.1", port), self.sam)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"socket://{host}:{port}"

    def start(self) -> SimulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="idcard-simulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop accepting, end the connections (within ~0.05 s) and close the socket."""
        self._server.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
