"""R4: the point client is downloaded from the office web's notice board. This command
builds the package (or takes one already built) and posts it, with an installation guide
for point staff, as a pinned notice of the province."""

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
GUIDE = """报名点客户端（客户版）安装说明

适用：报名点工作人员使用的电脑（Windows 10 及以上，或 Linux），需安装 Python 3.11。

一、安装
1. 下载本公告附件中的安装包（gaokao-*.whl）。
2. 在命令行中执行：python -m pip install gaokao-*.whl
   （无互联网时，请向县区考试机构索取依赖包目录，执行
    python -m pip install --no-index --find-links 依赖包目录 gaokao-*.whl）

二、首次登记（需要网络）
1. 设置客户端模式：Windows 执行 set GAOKAO_MODE=client；Linux 执行 export GAOKAO_MODE=client
2. 执行：gaokao client enrol --server {server} --username 报名点用户名
   按提示输入密码和手机验证器上的验证码。登记成功后，本机的报名点配置、号段、代码表和考生数据会下载到本机。

三、日常使用
- 启动：gaokao client serve ，然后在浏览器打开 http://127.0.0.1:8001/office/
- 有网络时客户端自动与省中心同步；查看同步状态：gaokao client status
- 停电、断网时可先在纸质草表上填写，恢复后在客户端“按纸质表录入”中补录，考生日后登录核对。
- 截止前网络仍未恢复：执行 gaokao client export 数据包文件名 ，将生成的数据包刻盘报送县区考试机构，
  由县区在招考管理系统“导入数据包”中导入。

四、注意
- 本机的设备密钥保存在数据目录 client 文件夹中，请勿复制给他人；电脑丢失请立即报告县区停用该客户端。
"""


class Command(BaseCommand):
    help = "Publish the point client (package and installation guide) on the notice board (R4)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--wheel", type=Path, help="a package already built (default: build one)"
        )
        parser.add_argument(
            "--server", default="https://bm.example.cn", help="the address points enrol against"
        )

    def handle(self, wheel, server, **options):
        province = Region.objects.filter(level=Region.Level.PROVINCE).first()
        if province is None:
            raise CommandError("No province yet: load a preset first (gaokao load-preset).")
        with tempfile.TemporaryDirectory() as folder:
            wheel = wheel or self.build(Path(folder))
            try:
                notice = post_notice(
                    author_unit=province,
                    title=TITLE,
                    body=GUIDE.format(server=server),
                    attachments=[
                        (wheel.name, wheel.read_bytes()),
                        ("报名点客户端安装说明.txt", GUIDE.format(server=server).encode()),
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
