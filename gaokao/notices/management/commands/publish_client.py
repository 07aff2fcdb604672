"""R4: the point client is downloaded from the office web's notice board. This command
builds the package (or takes one already built) and posts it, with the guide for point
staff (docs/point-guide.md), as a pinned notice of the province. PCs without network
install from the offline folder of `gaokao client wheelhouse` instead."""

import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gaokao.notices.services import post_notice
from gaokao.regions.models import Region

TITLE = "报名点客户端（客户版）下载与安装说明"
# The guide for point staff has one home, docs/point-guide.md (issue 20): the notice's text
# and its attachment are that file, with the server's address filled in.
SERVER_PLACEHOLDER = "https://省中心地址"


def guide_path() -> Path:
    return Path(settings.BASE_DIR).parent / "docs" / "point-guide.md"


def guide_text(server: str, path: Path | None = None) -> str:
    return (path or guide_path()).read_text(encoding="utf-8").replace(SERVER_PLACEHOLDER, server)


class Command(BaseCommand):
    help = "Publish the point client (package and installation guide) on the notice board (R4)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--wheel", type=Path, help="a package already built (default: build one)"
        )
        parser.add_argument(
            "--server", default="https://bm.example.cn", help="the address points enrol against"
        )
        parser.add_argument(
            "--guide", type=Path, help="the guide for point staff (default: docs/point-guide.md)"
        )

    def handle(self, wheel, server, guide=None, **options):
        try:
            text = guide_text(server, guide)
        except OSError as e:
            raise CommandError(
                f"the guide for point staff cannot be read ({e}): publish from the repository,"
                " or pass --guide docs/point-guide.md"
            ) from e
        province = Region.objects.filter(level=Region.Level.PROVINCE).first()
        if province is None:
            raise CommandError("No province yet: load a preset first (gaokao load-preset).")
        with tempfile.TemporaryDirectory() as folder:
            wheel = wheel or self.build(Path(folder))
            try:
                notice = post_notice(
                    author_unit=province,
                    title=TITLE,
                    body=text,
                    attachments=[
                        (wheel.name, wheel.read_bytes()),
                        ("报名点客户端使用指南.txt", text.encode("utf-8")),
                    ],
                    pinned=True,
                )
            except (ValidationError, OSError) as e:
                raise CommandError(f"not published: {e}") from e
        self.stdout.write(f"published notice {notice.pk}: {wheel.name}")

    def build(self, folder: Path) -> Path:
        root = Path(settings.BASE_DIR).parent
        self.stdout.write("building the package …")
        subprocess.run(  # noqa: S603 (our own interpreter and repository)
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(root)],
            check=True,
        )
        [wheel] = folder.glob("gaokao-*.whl")
        return wheel
