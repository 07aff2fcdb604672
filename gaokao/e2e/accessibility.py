"""Accessibility checks of every page a browser journey visits (issue 12): axe-core, from
the npm registry (package.json; `bin/test` installs it), is added to every document the
journey's pages load (an init script, which the Content-Security-Policy does not govern) and
runs over the whole page once it has loaded. Each run leaves its findings in the tab's
sessionStorage, which outlives the page; at the end of the journey they are collected, and a
page left before its check ended is visited again and checked then. A serious or critical
violation fails the journey, with the page, the rule and the elements in the message.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")
PREFIX = "__axe:"
CHECK_ON_LOAD = """
(() => {
  if (window !== window.top || document.contentType !== "text/html") return;
  const key = "%(prefix)s" + Date.now() + ":" + Math.random();
  const log = (entry) => sessionStorage.setItem(key, JSON.stringify(entry));
  window.addEventListener("load", async () => {
    const url = location.href;
    log({url, done: false});
    const result = await axe.run(document, {resultTypes: ["violations"]});
    const violations = result.violations
      .filter((v) => %(failing)s.includes(v.impact))
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" ") + ": " + n.failureSummary.split("\\n")[1]),
      }));
    log({url, done: true, violations});
  });
})();
"""
ENTRIES = f"""() => Object.keys(sessionStorage)
  .filter((key) => key.startsWith("{PREFIX}"))
  .sort()
  .map((key) => JSON.parse(sessionStorage.getItem(key)))"""


def init_script() -> str:
    if not AXE_JS.exists():
        reason = f"axe-core is missing at {AXE_JS} (run `npm ci` in the repository root)"
        if os.environ.get("GAOKAO_REQUIRE_SYSTEM_TOOLS") == "1":
            pytest.fail(f"GAOKAO_REQUIRE_SYSTEM_TOOLS=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    check = CHECK_ON_LOAD % {"prefix": PREFIX, "failing": json.dumps(list(FAILING))}
    return AXE_JS.read_text(encoding="utf-8") + "\n" + check


@dataclass
class Audit:
    """The pages of one journey and what axe found on each."""

    checked: list[str] = field(default_factory=list)
    violations: dict[str, dict[str, dict]] = field(default_factory=dict)  # url → rule → found

    def collect(self, page: Page) -> None:
        """What the checks of this tab found; pages left too early are checked again."""
        if page.is_closed() or not page.url.startswith("http"):
            return
        page.wait_for_load_state("load")
        entries = self._settled(page)
        for url in {e["url"] for e in entries if not e["done"]} - {
            e["url"] for e in entries if e["done"]
        }:
            page.goto(url)
            entries = self._settled(page)
        for entry in entries:
            if entry["done"]:
                self.checked.append(entry["url"])
                for violation in entry["violations"]:
                    self.violations.setdefault(entry["url"], {})[violation["rule"]] = violation

    @staticmethod
    def _settled(page: Page) -> list[dict]:
        """The entries once the current page's own check has ended."""
        if page.evaluate("document.contentType") == "text/html":
            page.wait_for_function(
                f"({ENTRIES})().some((e) => e.done && e.url === location.href)", timeout=20_000
            )
        return page.evaluate(ENTRIES)

    def report(self) -> str:
        lines = [f"{len(self.violations)} of {len(self.checked)} pages fail axe-core:"]
        for url, found in self.violations.items():
            lines.append(url)
            for v in found.values():
                lines.append(f"  [{v['impact']}] {v['rule']}: {v['help']}")
                lines.extend(f"      {node}" for node in v["nodes"])
        return "\n".join(lines)
