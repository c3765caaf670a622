"""Run axe-core (npm package, pinned in tests/node) in a Playwright page and report what it finds, readably.

The script is evaluated through the DevTools protocol (``page.evaluate``), which the page's Content-Security-Policy
does not govern: the audit sees each page exactly as a visitor does, with the strict CSP in force (``add_script_tag``
would insert an inline <script>, which that CSP rightly blocks, and ``bypass_csp`` would audit a different page).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from tests.support.node_tools import package_dir

#: The WCAG 2.0, 2.1 and 2.2 success criteria at levels A and AA, and axe's best practices.
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice")
#: Impacts that fail a test; moderate and minor findings are printed but let it pass (docs/accessibility.md).
FAILING = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class Finding:
    """One rule broken on one page: which rule, how bad, where (up to five elements) and how to fix it."""

    rule: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[str, ...]
    count: int

    def describe(self) -> str:
        lines = [f"[{self.impact}] {self.rule}: {self.help} ({self.count} element{'s' if self.count != 1 else ''})"]
        lines += [f"    {node}" for node in self.nodes]
        if self.count > len(self.nodes):
            lines.append(f"    ... and {self.count - len(self.nodes)} more")
        lines.append(f"    {self.help_url}")
        return "\n".join(lines)


@cache
def _source() -> str:
    return (package_dir("axe-core") / "axe.min.js").read_text(encoding="utf-8")


def version() -> str:
    import json

    return str(json.loads((package_dir("axe-core") / "package.json").read_text(encoding="utf-8"))["version"])


def _node(node: dict[str, Any]) -> str:
    target = " ".join(str(t) for t in node.get("target", []))
    summary = " ".join(line.strip() for line in str(node.get("failureSummary", "")).splitlines()[1:2])
    return f"{target}: {summary}" if summary else target


def audit(page: Any) -> list[Finding]:
    """Run axe-core on the page as it is now; return every violation, the worst first."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", list(TAGS)
    )
    order = ["critical", "serious", "moderate", "minor"]
    findings = [
        Finding(
            rule=v["id"],
            impact=v.get("impact") or "minor",
            help=v["help"],
            help_url=v["helpUrl"].split("?")[0],
            nodes=tuple(_node(n) for n in v["nodes"][:5]),
            count=len(v["nodes"]),
        )
        for v in results["violations"]
    ]
    return sorted(findings, key=lambda f: (order.index(f.impact) if f.impact in order else len(order), f.rule))


def report(where: str, findings: list[Finding]) -> str:
    """The findings as text, for an assertion message or the test log."""
    return f"{where}:\n" + "\n".join(f.describe() for f in findings)
