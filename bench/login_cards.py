"""Login cards (S4): our renderer against the floor that ReportLab itself sets.

    .venv/bin/python bench/login_cards.py [--count 1000] [--repeat 3] [--profile]

See bench/README.md for what each line means.
"""

import argparse
import cProfile
import io
import math
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaokao.settings")

import django  # noqa: E402

django.setup()

import segno  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from reportlab.lib.colors import Color, black  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from gaokao.documents.fonts import BOLD, REGULAR, register_fonts  # noqa: E402
from gaokao.documents.login_cards import (  # noqa: E402
    CARDS_PER_PAGE,
    login_qr_payload,
    render_login_cards,
)
from gaokao.documents.tests.samples import make_card  # noqa: E402

TITLE = "2020年湖南省普通高考网报登录卡"
GREY = Color(0.45, 0.45, 0.45)
# The fixed text of a card, already cut into lines: the floor does no layout.
LABELS = ["姓名", "报名号", "科类", "身份证号", "初始密码", "登录网址", "报名点"]
CAPTION = ["扫码打开登录页"]
INSTRUCTION = [
    "请在上述网址用报名号和本密码登录。首次登录时须设置确认密码，",
    "此后每次保存信息都要输入确认密码。请妥善保管本卡，勿交给他人。",
]


def ours(cards) -> bytes:
    return render_login_cards(cards, title=TITLE)


def floor(cards, *, literal: bool) -> bytes:
    """The same pages with bare ReportLab: a canvas as a4_canvas makes it, per page the
    header, the cut lines and the page number, per card the same strings in the same fonts
    and sizes and a QR-sized block of rectangles, one per run of dark modules of a real
    code of the same version (made once, before the clock starts, so not encoded per card).
    No fitting, no wrapping, no QR encoding. ``literal`` writes the rectangles as PDF
    operators (canvas.addLiteral), as our draw_qr_matrix does; otherwise with ReportLab's
    path API (path.rect), as the library's own drawing costs."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=REGULAR)
    canvas.setTitle(TITLE)
    width, height = A4
    card_width, card_height = (width - 20 * mm) / 2, (height - 31 * mm) / 4
    module = 30 * mm / 41
    pages = math.ceil(len(cards) / CARDS_PER_PAGE)
    for page in range(pages):
        on_page = cards[page * CARDS_PER_PAGE : (page + 1) * CARDS_PER_PAGE]
        canvas.setFont(BOLD, 13)
        canvas.drawString(10 * mm, height - 13 * mm, TITLE)
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(width - 10 * mm, height - 13 * mm, "打印时间：2026-06-01 09:00")
        canvas.saveState()
        canvas.setDash(4, 3)
        canvas.setLineWidth(0.5)
        for row in range(5):
            y = height - 19 * mm - row * card_height
            canvas.line(5 * mm, y, width - 5 * mm, y)
            canvas.drawString(5 * mm, y + 1.5, "✂")
        for column in range(3):
            x = 10 * mm + column * card_width
            canvas.line(x, height - 17 * mm, x, 10 * mm)
        canvas.restoreState()
        for index, card in enumerate(on_page):
            row, column = divmod(index, 2)
            x = 14 * mm + column * card_width
            y = height - 25 * mm - row * card_height
            canvas.setFont(BOLD, 10.5)
            canvas.drawString(x, y, TITLE)
            canvas.setFillColor(GREY)
            canvas.setFont(REGULAR, 7.5)
            for n, label in enumerate(LABELS):
                canvas.drawString(x, y - 20 - n * 17, label)
            canvas.setFillColor(black)
            canvas.setFont(BOLD, 14)
            canvas.drawString(x + 40, y - 20, card.name)
            canvas.setFont(BOLD, 15)
            canvas.drawString(x + 40, y - 37, card.registration_number)
            canvas.setFont(REGULAR, 10)
            canvas.drawString(x + 40, y - 54, card.subject_track)
            canvas.drawString(x + 40, y - 71, card.id_number)
            canvas.setFont(BOLD, 13)
            canvas.drawString(x + 40, y - 88, card.password, charSpace=1.2)
            canvas.setFont(REGULAR, 9)
            canvas.drawString(x + 40, y - 105, card.portal_url)
            canvas.drawString(x + 40, y - 122, card.point)
            canvas.setFont(REGULAR, 6.5)
            canvas.setFillColor(GREY)
            for n, line in enumerate(CAPTION):
                canvas.drawCentredString(x + 200, y - 95 - n * 8, line)
            canvas.setFillColor(black)
            canvas.setFont(REGULAR, 7.5)
            for n, line in enumerate(INSTRUCTION):
                canvas.drawString(x, y - 140 - n * 9.4, line)
            left, top = x + 160, y - 5
            if literal:
                rects = " ".join(f"{c} {-r - 1} {n} 1 re" for r, c, n in RUNS)
                canvas.addLiteral(f"q 0 g {module} 0 0 {module} {left} {top} cm {rects} f Q")
            else:
                path = canvas.beginPath()
                for r, c, n in RUNS:
                    path.rect(left + c * module, top - (r + 1) * module, n * module, module)
                canvas.drawPath(path, stroke=0, fill=1)
        canvas.setFont(REGULAR, 8)
        canvas.drawCentredString(width / 2, 7 * mm, f"第 {page + 1} 页 / 共 {pages} 页")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _runs(matrix):
    runs = []
    for r, row in enumerate(matrix):
        runs.extend((r, m.start(), m.end() - m.start()) for m in re.finditer(rb"\x01+", row))
    return runs


RUNS = _runs(segno.make("https://gaokao.example.cn/portal/?bmh=43010000", error="m").matrix)


def best_of(repeat: int, function, *args, **kwargs) -> tuple[float, bytes]:
    times, result = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), result


def operators(pdf: bytes) -> tuple[int, int, int]:
    """Pages, text-showing operators (Tj) and rectangles (re) in the page streams."""
    reader = PdfReader(io.BytesIO(pdf))
    text = rects = 0
    for page in reader.pages:
        data = page.get_contents().get_data()
        text += len(re.findall(rb"\) Tj", data))
        rects += len(re.findall(rb" re\b", data))
    return len(reader.pages), text, rects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="login cards (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, the best counts (default 3)")
    parser.add_argument("--profile", action="store_true", help="cProfile one run of ours")
    parser.add_argument("--write", metavar="DIR", help="write ours.pdf and floor.pdf there")
    args = parser.parse_args()

    register_fonts()  # once per process in both: not timed
    cards = [make_card(n) for n in range(args.count)]
    ours(cards[:8])  # warm up: imports, the first subsets

    t_ours, pdf_ours = best_of(args.repeat, ours, cards)
    t_floor, pdf_floor = best_of(args.repeat, floor, cards, literal=False)
    t_literal, pdf_literal = best_of(args.repeat, floor, cards, literal=True)
    payloads = [login_qr_payload(card) for card in cards]
    t_qr, _ = best_of(args.repeat, lambda: [segno.make(p, error="m").matrix for p in payloads])

    print(f"{args.count} login cards, best of {args.repeat}")
    print(f"{'':32}{'seconds':>9}{'pages':>7}{'KiB':>8}{'Tj':>8}{'re':>9}")
    for label, seconds, pdf in (
        ("ours (render_login_cards)", t_ours, pdf_ours),
        ("floor: ReportLab path API", t_floor, pdf_floor),
        ("floor: rectangles as operators", t_literal, pdf_literal),
    ):
        pages, text, rects = operators(pdf)
        print(f"{label:32}{seconds:9.3f}{pages:7d}{len(pdf) / 1024:8.0f}{text:8d}{rects:9d}")
    print(f"{'  of ours: QR encoding (segno)':32}{t_qr:9.3f}")
    print(f"ratio ours / floor (path API):        {t_ours / t_floor:.2f}")
    print(f"ratio ours / floor (operators):       {t_ours / t_literal:.2f}")
    print(f"ratio (ours - QR encoding) / floor:   {(t_ours - t_qr) / t_floor:.2f}")

    if args.write:
        target = Path(args.write)
        target.mkdir(parents=True, exist_ok=True)
        (target / "ours.pdf").write_bytes(pdf_ours)
        (target / "floor.pdf").write_bytes(pdf_floor)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(ours, cards)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
