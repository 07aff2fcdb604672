"""Poppler (pdffonts, pdftotext, pdftoppm) reads the PDFs as a reader would. Without it the
tests that need it are skipped, unless GAOKAO_REQUIRE_SYSTEM_TOOLS=1 (CI), then they fail."""

import os
import shutil
import subprocess

import pytest


@pytest.fixture
def poppler(tmp_path):
    """poppler("pdftotext", pdf_bytes, "-layout") runs the tool on the PDF and returns what
    it printed; pdftotext prints the text, pdftoppm writes tmp_path/"page.png" (-singlefile)."""

    def run(tool: str, pdf: bytes, *args: str) -> str:
        executable = shutil.which(tool)
        if executable is None:
            reason = f"no {tool} on PATH (apt-get install poppler-utils)"
            if os.environ.get("GAOKAO_REQUIRE_SYSTEM_TOOLS") == "1":
                pytest.fail(f"GAOKAO_REQUIRE_SYSTEM_TOOLS=1 but {reason}", pytrace=False)
            pytest.skip(reason)
        source = tmp_path / "document.pdf"
        source.write_bytes(pdf)
        output = {"pdftotext": ["-"], "pdftoppm": [str(tmp_path / "page")]}.get(tool, [])
        argv = [executable, *args, str(source), *output]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    return run
