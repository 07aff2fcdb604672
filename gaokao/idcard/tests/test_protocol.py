"""The SAM_A frames and replies of docs/domain/idcard-reader.md §1–4, byte for byte (R3)."""

import struct

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from gaokao.idcard.cards import parse_text
from gaokao.idcard.protocol import (
    PREAMBLE,
    ChecksumError,
    Command,
    FrameBuffer,
    NoCard,
    ProtocolError,
    ReaderError,
    ReadFailed,
    Status,
    UnknownCardType,
    build_read_payload,
    checksum,
    command_frame,
    format_sam_id,
    parse_read_payload,
    parse_reply,
    parse_request,
    reply_frame,
    status_error,
)
from gaokao.idcard.tests.blocks import ZHANG, resident_block, xor

FRAMES = [
    (Command.SAM_STATUS, 0x11, 0xFF, "AA AA AA 96 69 00 03 11 FF ED"),
    (Command.SAM_ID, 0x12, 0xFF, "AA AA AA 96 69 00 03 12 FF EE"),
    (Command.FIND_CARD, 0x20, 0x01, "AA AA AA 96 69 00 03 20 01 22"),
    (Command.SELECT_CARD, 0x20, 0x02, "AA AA AA 96 69 00 03 20 02 21"),
    (Command.READ_TEXT_PHOTO, 0x30, 0x01, "AA AA AA 96 69 00 03 30 01 32"),
    (Command.READ_NEW_ADDRESS, 0x30, 0x03, "AA AA AA 96 69 00 03 30 03 30"),
    (Command.READ_TEXT_PHOTO_FINGERPRINT, 0x30, 0x10, "AA AA AA 96 69 00 03 30 10 23"),
]


@pytest.mark.parametrize(("command", "cmd", "para", "frame"), FRAMES)
def test_r3_command_frames_are_the_documented_bytes(command, cmd, para, frame):
    assert command_frame(cmd, para) == bytes.fromhex(frame)
    assert command.frame() == bytes.fromhex(frame)
    assert (command.cmd, command.para) == (cmd, para)


@pytest.mark.parametrize(("command", "cmd", "para", "frame"), FRAMES)
def test_r3_checksum_is_the_xor_from_len_to_the_last_data_byte(command, cmd, para, frame):
    raw = bytes.fromhex(frame)
    assert checksum(raw[5:-1]) == raw[-1] == xor(raw[5:-1])
    assert parse_request(raw).cmd == cmd


def test_r3_command_frame_with_data_counts_it_in_len():
    frame = command_frame(0x30, 0x01, b"\x01\x02")
    assert frame[5:7] == b"\x00\x05"
    assert frame[-1] == xor(frame[5:-1])


REPLIES = {
    "sam_ok": ("AA AA AA 96 69 00 04 00 00 90 94", 0x90, b""),
    "find_ok": ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, bytes(4)),
    "no_card": ("AA AA AA 96 69 00 04 00 00 80 84", 0x80, b""),
    "select_ok": ("AA AA AA 96 69 00 0C 00 00 90" + " 00" * 8 + " 9C", 0x90, bytes(8)),
    "select_failed": ("AA AA AA 96 69 00 04 00 00 81 85", 0x81, b""),
    "read_failed": ("AA AA AA 96 69 00 04 00 00 41 45", 0x41, b""),
}


@pytest.mark.parametrize("name", REPLIES)
def test_r3_documented_replies_parse_and_rebuild_byte_for_byte(name):
    frame, sw3, data = REPLIES[name]
    reply = parse_reply(bytes.fromhex(frame))
    assert (reply.sw1, reply.sw2, reply.sw3, reply.data) == (0, 0, sw3, data)
    assert reply_frame(sw3, data) == bytes.fromhex(frame)


def test_r3_find_ok_and_select_ok_pass_their_expected_status():
    parse_reply(bytes.fromhex(REPLIES["find_ok"][0])).expect(Status.FOUND)
    parse_reply(bytes.fromhex(REPLIES["select_ok"][0])).expect()
    parse_reply(bytes.fromhex(REPLIES["sam_ok"][0])).expect()


@pytest.mark.parametrize(
    ("name", "error", "code"),
    [
        ("no_card", NoCard, "no_card"),
        ("select_failed", ReaderError, "select_failed"),
        ("read_failed", ReadFailed, "read_failed"),
    ],
)
def test_r3_failure_replies_raise_their_error(name, error, code):
    reply = parse_reply(bytes.fromhex(REPLIES[name][0]))
    with pytest.raises(error) as caught:
        reply.expect(Status.FOUND, Status.SUCCESS)
    assert caught.value.code == code
    assert caught.value.status == REPLIES[name][1]


def test_r3_find_ok_is_not_taken_for_a_read_success():
    with pytest.raises(ReaderError) as caught:
        parse_reply(bytes.fromhex(REPLIES["find_ok"][0])).expect(Status.SUCCESS)
    assert caught.value.code == "found"


@pytest.mark.parametrize("status", list(Status))
def test_r3_every_status_code_has_a_message_and_a_code(status):
    error = status_error(status)
    assert isinstance(error, ReaderError)
    assert error.code == status.code
    with translation.override("en"):
        assert str(error.message).endswith(".")
        assert str(error.message) == str(status.message)


def test_r3_staff_messages_say_what_to_do():
    with translation.override("en"):
        assert str(Status.NO_CARD.message) == (
            "No card on the reader. Place the card flat on the reader and try again."
        )
        assert str(Status.READ_FAILED.message) == (
            "The card could not be read. Hold it still and try again."
        )
        assert str(Status.SELF_TEST_FAILED.message) == (
            "The reader's security module failed its self-test."
        )


def test_r3_status_codes_map_to_their_exceptions():
    assert isinstance(status_error(0x80), NoCard)
    assert isinstance(status_error(0x41), ReadFailed)
    assert isinstance(status_error(0x40), UnknownCardType)
    unknown = status_error(0x55)
    assert type(unknown) is ReaderError
    assert unknown.code == "unknown_status"
    assert unknown.status == 0x55


def test_r3_a_wrong_checksum_is_refused():
    frame = bytearray(bytes.fromhex(REPLIES["find_ok"][0]))
    frame[-1] ^= 0x01
    with pytest.raises(ChecksumError):
        parse_reply(bytes(frame))
    frame = bytearray(bytes.fromhex(REPLIES["find_ok"][0]))
    frame[9] = 0x90  # a flipped data byte
    with pytest.raises(ChecksumError):
        parse_reply(bytes(frame))


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "AA AA AA 96",
        "AA AA AA 96 68 00 04 00 00 90 94",  # preamble
        "AA AA AA 96 69 00 05 00 00 90 94",  # LEN says one more byte than there is
        "AA AA AA 96 69 00 03 00 00 90 94",  # LEN says one less
        "AA AA AA 96 69 00 03 00 00 03",  # LEN too short for SW1-SW3
        "AA AA AA 96 69 00 04 00 00 90 94 00",  # trailing byte
    ],
)
def test_r3_a_bad_preamble_or_length_is_a_protocol_error(frame):
    with pytest.raises(ProtocolError):
        parse_reply(bytes.fromhex(frame))


def test_r3_the_1295_byte_read_reply_is_parsed_end_to_end():
    text = resident_block()
    photo = bytes(range(256)) * 4
    body = bytes.fromhex("00 00 90 01 00 04 00") + text + photo
    length = struct.pack(">H", len(body) + 1)
    frame = PREAMBLE + length + body + bytes([xor(length + body)])
    assert len(frame) == 1295
    assert frame[5:7] == bytes.fromhex("05 08")
    assert frame[14:270] == text
    assert frame[270:1294] == photo

    reply = parse_reply(frame).expect()
    text_read, photo_read, fingerprint = parse_read_payload(reply.data)
    assert (text_read, photo_read, fingerprint) == (text, photo, None)
    card = parse_text(text_read, photo_read)
    assert card.id_number == ZHANG
    assert card.name == "张思远"
    assert card.photo_wlt == photo
    assert reply_frame(0x90, build_read_payload(text, photo)) == frame


def test_r3_the_fingerprint_reply_has_a_third_length_word():
    text, photo, fp = resident_block(), bytes(1024), b"\x01" * 1024
    data = bytes.fromhex("01 00 04 00 04 00") + text + photo + fp
    assert parse_read_payload(data, fingerprint=True) == (text, photo, fp)
    assert build_read_payload(text, photo, fp) == data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes.fromhex("01 00"),
        bytes.fromhex("00 FF 04 00") + bytes(255 + 1024),  # text length not 256
        bytes.fromhex("01 00 04 00") + bytes(256 + 1023),  # photo cut short
        bytes.fromhex("01 00 04 00") + bytes(256 + 1025),
    ],
)
def test_r3_a_read_payload_of_the_wrong_shape_is_refused(data):
    with pytest.raises(ProtocolError):
        parse_read_payload(data)


def test_r3_frame_buffer_cuts_frames_out_of_a_noisy_stream():
    one = bytes.fromhex(REPLIES["find_ok"][0])
    two = bytes.fromhex(REPLIES["select_ok"][0])
    frames = FrameBuffer()
    frames.feed(b"\x00\x13\xaa" + one + two[:9])
    assert frames.pop() == one
    assert frames.pop() is None
    frames.feed(two[9:])
    assert frames.pop() == two
    assert frames.pop() is None


def test_r3_frame_buffer_keeps_a_preamble_split_across_reads():
    one = bytes.fromhex(REPLIES["no_card"][0])
    frames = FrameBuffer()
    frames.feed(b"\x01\x02" + one[:3])
    assert frames.pop() is None
    frames.feed(one[3:])
    assert frames.pop() == one


def test_r3_frame_buffer_refuses_an_impossible_length_then_resynchronises():
    good = bytes.fromhex(REPLIES["sam_ok"][0])
    frames = FrameBuffer()
    frames.feed(PREAMBLE + b"\xff\xff" + good)
    with pytest.raises(ProtocolError):
        frames.pop()
    assert frames.pop() == good


def test_r3_sam_id_is_shown_in_the_usual_form():
    raw = struct.pack("<HHIII", 5, 1, 20200315, 123456789, 987654321)
    assert format_sam_id(raw) == "05.01-20200315-0123456789-0987654321"
    with pytest.raises(ProtocolError):
        format_sam_id(raw[:15])


# ── random input raises only ReaderErrors ──


def corrupted(body: bytes, flip: int) -> bytes:
    """A well-formed reply whose checksum byte may be off."""
    frame = reply_frame(0x90, body)
    return frame[:-1] + bytes([frame[-1] ^ flip])


FRAMEISH = st.one_of(
    st.binary(max_size=40),
    st.builds(lambda body: PREAMBLE + body, st.binary(max_size=40)),
    st.builds(
        lambda n, body: PREAMBLE + struct.pack(">H", n) + body,
        st.integers(0, 0xFFFF),
        st.binary(max_size=40),
    ),
    st.builds(corrupted, st.binary(max_size=40), st.integers(0, 255)),
)


@settings(max_examples=300, deadline=None)
@given(FRAMEISH)
def test_r3_random_bytes_give_the_reply_parser_only_reader_errors(data):
    try:
        reply = parse_reply(data)
    except ReaderError:
        return
    try:
        reply.expect()
        parse_read_payload(reply.data)
    except ReaderError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=30), max_size=8))
def test_r3_random_streams_give_the_frame_buffer_only_reader_errors(chunks):
    frames = FrameBuffer()
    for chunk in chunks:
        frames.feed(chunk)
        for _ in range(10):
            try:
                if frames.pop() is None:
                    break
            except ReaderError:
                pass


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=256, max_size=256), st.integers(0, 0xFFFF))
def test_r3_random_read_replies_give_only_reader_errors_end_to_end(text, photo_length):
    payload = struct.pack(">HH", 256, photo_length) + text + bytes(min(photo_length, 1200))
    try:
        reply = parse_reply(reply_frame(0x90, payload)).expect()
        parse_text(*parse_read_payload(reply.data)[:2])
    except ReaderError:
        pass
