"""docs/outcomes.md states the worked examples' results that the tests of this folder reproduce: a change to one
without the other fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "outcomes.md"

STATED = [
    "**[-13.8188, 39.9058]**",  # NPS, test_metrics.py
    "**[73.7672%, 90.7422%]**",  # Wilson, test_metrics.py
    "**[4.1549, 6.1308]**",  # CES, test_metrics.py
    "P(improved) = **0.9794**",  # change, test_metrics.py
    "**[6.5450, 59.6243]**",
    "ε₁ = c²β₁² + s²β₂² = **0.286667**",  # relative weights, test_drivers.py
    "**0.086667**",
    "**0.373333**",
    "shares **76.79%** and **23.21%**",
    "retention **75%**, churn **25%**",  # customer asset, test_asset.py
    "(Reichheld 2003)",
    "Wilson's (1927)",
    "Johnson 2000",
    "Tonidandel & LeBreton (2011",
]


@pytest.mark.parametrize("text", STATED)
def test_the_doc_states_the_reproduced_result(text: str) -> None:
    assert text in DOC.read_text(encoding="utf-8"), f"docs/outcomes.md no longer states {text}"
