"""The workshop's agenda, built from a result: what the team should talk about, most useful first.

Order (docs/workshops.md, "The agenda"):

1. the competency that holds the overall stage back (``Gap.holds_back``: the overall rule is "weakest" and it sets
   the overall stage), because raising anything else does not move the overall stage;
2. the discussion items, most disagreement first (the result's own order, ``scoring.agreement.disagreement_order``:
   two opposed camps before a merely spread-out team);
3. blind spots between groups, largest difference first;
4. the largest remaining gaps to target (by the gap's priority), at most ``max_gaps``.

Each item names one indicator the room can vote on. A discussion item is its indicator. A competency item (held back,
blind spot, gap) votes on the competency's indicator with the lowest mean answer: the evidence that most keeps the
competency where it is. A competency is never listed twice for the same reason (a blind spot of two groups in one
competency is one item).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxmaturity.frameworks.model import Framework
from cxmaturity.scoring.result import Result

KINDS = ("holds_back", "discussion", "blind_spot", "gap", "custom")


@dataclass(frozen=True)
class AgendaSeed:
    """One item the agenda starts with; the facilitator may reorder, skip or add to them."""

    kind: str
    title: str
    reason: str
    competency: str | None
    indicator: str | None


def _lowest_indicator(fw: Framework, result: Result, competency: str) -> str | None:
    """Return the competency's indicator with the lowest mean answer (framework order breaks ties)."""
    best: tuple[float, int, str] | None = None
    order = {key: n for n, key in enumerate(fw.indicator_keys)}
    for ind in result.indicators:
        if ind.competency != competency or ind.mean is None or math.isnan(ind.mean):
            continue
        candidate = (ind.mean, order.get(ind.key, 0), ind.key)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def build_agenda(fw: Framework, result: Result, max_gaps: int = 3, max_discussion: int = 10) -> list[AgendaSeed]:
    """Return the agenda a workshop on ``result`` starts with (the order above)."""
    name = {c.key: fw.text(c.name) for c in fw.competencies}
    items: list[AgendaSeed] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, title: str, reason: str, competency: str | None, indicator: str | None) -> None:
        if competency is not None and (kind, competency) in seen and kind != "discussion":
            return
        if competency is not None:
            seen.add((kind, competency))
        items.append(AgendaSeed(kind, title, reason, competency, indicator))

    held = next((g for g in result.gaps if g.holds_back), None)
    if held is not None:
        add(
            "holds_back",
            f"{name.get(held.competency, held.competency)} holds the overall stage back",
            f"The overall stage is the weakest competency's; {name.get(held.competency, held.competency)} scores "
            f"{held.score:.2f}, {held.gap:.2f} below its target stage {held.target}.",
            held.competency,
            _lowest_indicator(fw, result, held.competency),
        )
    for item in result.discussion_items[:max_discussion]:
        text = fw.text(fw.indicator(item.indicator).text)
        camps = "two camps" if item.polarised else "spread-out answers"
        add(
            "discussion",
            text,
            f"The team disagrees here ({camps}; rwg {item.rwg:.2f}, {item.answered} answers).",
            item.competency,
            item.indicator,
        )
    for spot in sorted(result.blind_spots, key=lambda s: -s.difference):
        add(
            "blind_spot",
            f"{name.get(spot.competency, spot.competency)}: {spot.group} sees it differently",
            f"{spot.group} rates it {spot.difference:.2f} points above everyone else ({spot.group_score:.2f} against "
            f"{spot.others_score:.2f}).",
            spot.competency,
            _lowest_indicator(fw, result, spot.competency),
        )
    gaps = sorted((g for g in result.gaps if not g.holds_back and g.gap > 0), key=lambda g: (-g.priority, g.competency))
    for gap in gaps[:max_gaps]:
        add(
            "gap",
            f"{name.get(gap.competency, gap.competency)}: a gap of {gap.gap:.2f} to {gap.target}",
            f"One of the largest gaps to target (score {gap.score:.2f}, priority {gap.priority:.2f}).",
            gap.competency,
            _lowest_indicator(fw, result, gap.competency),
        )
    return items
