"""Text blocks built straight from the offsets in docs/domain/idcard-reader.md §5,
independently of the LAYOUTS table the parser uses, and frames built by hand."""

from functools import reduce

from gaokao.lib.idnumber import check_digit

PREAMBLE = bytes.fromhex("AA AA AA 96 69")


def number(first17: str) -> str:
    return first17 + check_digit(first17)


def block(*fields: tuple[int, int, str]) -> bytes:
    """256 bytes of UCS-2LE spaces with each (offset, size, text) written in."""
    raw = bytearray(" ".encode("utf-16-le") * 128)
    for offset, size, text in fields:
        data = text.encode("utf-16-le")
        assert len(data) <= size, (offset, text)
        raw[offset : offset + len(data)] = data
    return bytes(raw)


ZHANG = number("43010220020315011")  # 430102 200203150 11x: male (1 is odd)
PENG = number("43082119720903064")  # female (4 is even)
CHAN = number("81000020020808013")


def resident_block(
    *,
    name="张思远",
    sex="1",
    ethnicity="15",
    birth="20020315",
    id_number=ZHANG,
    valid_until="20280901",
) -> bytes:
    return block(
        (0, 30, name),
        (30, 2, sex),
        (32, 4, ethnicity),
        (36, 16, birth),
        (52, 70, "湖南省长沙市芙蓉区五一大道100号"),
        (122, 36, id_number),
        (158, 30, "长沙市公安局芙蓉分局"),
        (188, 16, "20180901"),
        (204, 16, valid_until),
    )


def hmt_block() -> bytes:
    return block(
        (0, 30, "陈家乐"),
        (30, 2, "1"),
        (36, 16, "20020808"),
        (52, 70, "湖南省长沙市岳麓区麓山南路2号"),
        (122, 36, CHAN),
        (158, 30, "长沙市公安局"),
        (188, 16, "20190901"),
        (204, 16, "20240901"),
        (220, 18, "H60231847"),
        (238, 4, "01"),
        (248, 2, "J"),
    )


def foreigner_2017_block(chinese_name="米马克") -> bytes:
    return block(
        (0, 120, "MILLER, MARK JAMES"),
        (120, 2, "1"),
        (122, 30, "USA431005120013"),
        (152, 6, "USA"),
        (158, 30, chinese_name),
        (188, 16, "20210601"),
        (204, 16, "20310601"),
        (220, 16, "20030412"),
        (236, 4, "02"),
        (240, 8, "1500"),
        (248, 2, "I"),
    )


FOREIGNER_2023_NUMBER = number("94380420020921002")


def foreigner_2023_block(chinese_name="安娜", english="KOVALENKO, ANNA") -> bytes:
    return block(
        (0, 30, chinese_name),
        (30, 2, "2"),
        (32, 4, "00"),
        (36, 16, "20020921"),
        (52, 70, english[:35]),
        (122, 36, FOREIGNER_2023_NUMBER),
        (188, 16, "20240301"),
        (204, 16, "20290301"),
        (220, 22, english[35:]),
        (242, 6, "UKR"),
        (248, 2, "Y"),
    )


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def reply(hex_body: str) -> bytes:
    """A reply frame from the bytes after LEN up to the last data byte."""
    body = bytes.fromhex(hex_body)
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor(length + body)])
