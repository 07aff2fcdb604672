"""The reader against the simulated SAM over a real TCP socket: batch reading (S3), and
every fault ending in its error within the timeout, never a hang (R3)."""

import contextlib
import socket
import time

import pytest

from gaokao.idcard.cards import FOREIGNER_2017, FOREIGNER_2023, HMT_PERMIT, RESIDENT
from gaokao.idcard.protocol import (
    ChecksumError,
    Command,
    NoCard,
    PortUnavailable,
    ProtocolError,
    ReaderError,
    ReaderTimeout,
    ReadFailed,
    UnknownCardType,
)
from gaokao.idcard.reader import Reader
from gaokao.idcard.simulator import Fault, SimulatedSam, SimulatorServer, default_deck

TIMEOUT = 0.3
SLACK = 0.5  # scheduling noise allowed beyond the configured timeout


# One simulator and one connection for the module: pyserial sleeps 0.3 s when it closes
# a socket:// port.


@pytest.fixture(scope="module")
def server():
    with SimulatorServer() as server:
        yield server


@pytest.fixture(scope="module")
def connection(server):
    with Reader(server.url, timeout=TIMEOUT, find_attempts=3, find_interval=0.01) as r:
        yield r


@pytest.fixture
def sim(server):
    server.sam.reset()
    return server


@pytest.fixture
def reader(sim, connection):
    return connection


def test_r3_sam_status_and_id(reader):
    reader.sam_status()
    assert reader.sam_id() == "05.01-20200315-0123456789-0987654321"


def test_s3_reads_several_different_cards_in_a_row(sim, reader):
    cards = [reader.read_card() for _ in range(5)]
    assert len({c.id_number for c in cards}) == 5
    assert cards == [c.identity for c in default_deck()[:5]]
    assert cards == list(sim.sam.served)


def test_s3_a_batch_meets_every_kind_of_card(reader):
    deck = default_deck()
    cards = [reader.read_card() for _ in deck]
    assert {c.card_type for c in cards} == {RESIDENT, HMT_PERMIT, FOREIGNER_2017, FOREIGNER_2023}
    assert {c.ethnicity for c in cards} >= {"01", "06", "15"}
    assert any(c.long_term for c in cards)
    assert all(len(c.photo_wlt) == 1024 for c in cards)


def test_s3_the_deck_starts_over_when_every_card_was_read(reader):
    deck = default_deck()
    cards = [reader.read_card() for _ in range(len(deck) + 1)]
    assert cards[-1] == cards[0]


def test_r3_read_card_sends_find_select_read(sim, reader):
    reader.read_card()
    assert list(sim.sam.received) == [
        Command.FIND_CARD.frame(),
        Command.SELECT_CARD.frame(),
        Command.READ_TEXT_PHOTO.frame(),
    ]


def test_r3_a_particular_card_can_be_placed(sim, reader):
    chosen = default_deck()[6]
    sim.sam.auto_place = False
    sim.sam.place(chosen)
    assert reader.read_card() == chosen.identity
    with pytest.raises(NoCard):  # read once, then it must be placed again
        reader.read_card()


def test_r3_no_card_after_the_find_retries(sim, reader):
    sim.sam.auto_place = False
    sim.sam.take_card()
    started = time.monotonic()
    with pytest.raises(NoCard) as caught:
        reader.read_card()
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert caught.value.code == "no_card"
    assert list(sim.sam.received) == [Command.FIND_CARD.frame()] * 3


def test_r3_find_is_retried_until_the_card_answers(sim, reader):
    sim.sam.inject(Fault.NO_CARD, count=2)
    card = reader.read_card()
    assert card == default_deck()[0].identity
    assert list(sim.sam.received).count(Command.FIND_CARD.frame()) == 3


def test_r3_no_card_as_a_standing_fault(sim, reader):
    sim.sam.inject(Fault.NO_CARD, count=None)
    with pytest.raises(NoCard):
        reader.read_card()
    sim.sam.clear_faults()
    assert reader.read_card().card_type == RESIDENT


FAULTS = [
    (Fault.BAD_CHECKSUM, ChecksumError),
    (Fault.TRUNCATED, ReaderTimeout),
    (Fault.SILENCE, ReaderTimeout),
    (Fault.UNKNOWN_CARD_TYPE, UnknownCardType),
    (Fault.READ_FAILED, ReadFailed),
]


@pytest.mark.parametrize(("fault", "error"), FAULTS)
def test_r3_each_fault_gives_its_error_in_time_and_the_next_read_works(sim, reader, fault, error):
    sim.sam.inject(fault)
    started = time.monotonic()
    with pytest.raises(error):
        reader.read_card()
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert reader.read_card().id_number


@pytest.mark.parametrize("fault", [Fault.TRUNCATED, Fault.SILENCE])
def test_r3_a_timeout_waits_the_configured_time_and_no_less(sim, reader, fault):
    sim.sam.inject(fault, on=Command.SAM_ID)
    started = time.monotonic()
    with pytest.raises(ReaderTimeout) as caught:
        reader.sam_id()
    elapsed = time.monotonic() - started
    assert TIMEOUT <= elapsed < TIMEOUT + SLACK
    assert caught.value.code == "timeout"


def test_r3_a_late_reply_is_not_taken_for_the_next_ones(sim, reader):
    sim.sam.inject(Fault.TRUNCATED, on=Command.SAM_STATUS)
    with pytest.raises(ReaderTimeout):
        reader.sam_status()
    # The half reply is still in the socket; it must not be read as the SAM ID's.
    assert reader.sam_id().startswith("05.01-")


def test_r3_an_unreachable_port_is_port_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PortUnavailable) as caught:
        Reader(f"socket://127.0.0.1:{port}", timeout=TIMEOUT)
    assert caught.value.code == "port_unavailable"
    with pytest.raises(PortUnavailable):
        Reader("/dev/nonexistent-reader", timeout=TIMEOUT)


def test_r3_a_reader_whose_simulator_went_away_errs_and_does_not_hang():
    server = SimulatorServer().start()
    reader = Reader(server.url, timeout=TIMEOUT)
    reader.sam_status()
    server.stop()
    started = time.monotonic()
    with pytest.raises(ReaderError):
        reader.sam_status()
        reader.sam_status()
    assert time.monotonic() - started < 2 * TIMEOUT + SLACK
    reader.close()


def test_r3_loop_url_opens_and_hears_only_its_own_command():
    reader = Reader("loop://", timeout=TIMEOUT)
    with reader, pytest.raises(ProtocolError):  # a 3-byte LEN cannot be a reply
        reader.sam_status()
    assert reader.closed


def test_r3_the_context_manager_closes_the_port(sim):
    with Reader(sim.url, timeout=TIMEOUT) as reader:
        reader.sam_status()
    assert reader.closed


def test_r3_the_simulator_answers_bad_frames_as_a_sam_does():
    sam = SimulatedSam()
    bad_checksum = bytearray(Command.FIND_CARD.frame())
    bad_checksum[-1] ^= 1
    assert sam.handle(bytes(bad_checksum))[7:10] == bytes.fromhex("00 00 10")
    assert sam.handle(bytes.fromhex("AA AA AA 96 69 00 03 99 99 03"))[7:10] == bytes.fromhex(
        "00 00 21"
    )
    assert sam.handle(Command.READ_NEW_ADDRESS.frame())[7:10] == bytes.fromhex("00 00 91")
    assert sam.handle(Command.SELECT_CARD.frame())[7:10] == bytes.fromhex("00 00 81")


def test_r3_the_simulator_stops_cleanly():
    server = SimulatorServer().start()
    port = int(server.url.rsplit(":", 1)[1])
    client = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    client.settimeout(1.0)
    with contextlib.suppress(ConnectionResetError):  # refused before a handler took it
        assert client.recv(10) == b""  # or ended by the handler
    client.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5)
