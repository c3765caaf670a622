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
from cxmaturity.i18n.catalogs import N_
from cxmaturity.i18n.phrase import Phrase, Ref, Score, english, named, phrase
from cxmaturity.scoring.result import Result

KINDS = ("holds_back", "discussion", "blind_spot", "gap", "custom")
#: The reason of an item the facilitator adds (its title is theirs).
ADDED = N_("Added by the facilitator.")


@dataclass(frozen=True)
class AgendaSeed:
    """One item the agenda starts with; the facilitator may reorder, skip or add to them.

    Its title and reason are phrases (i18n/phrase.py), stored with the item and written in each screen's language;
    ``title`` and ``reason`` are their English sentences, stored beside them."""

    kind: str
    title_phrase: Phrase
    reason_phrase: Phrase
    competency: str | None
    indicator: str | None

    @property
    def title(self) -> str:
        return english(self.title_phrase)

    @property
    def reason(self) -> str:
        return english(self.reason_phrase)


def _two(value: float) -> Score:
    # Rounded here as the English sentence always was (Python's rounding); only the decimal sign follows the locale.
    return Score(f"{value:.2f}")


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

    def competency(key: str) -> Ref:
        return Ref("competency", key, name.get(key, key))

    def stage(key: str) -> Ref:
        # Written as its key, as the English sentence always was; a page names it in its reader's language.
        return Ref("stage", key, key)

    def add(kind: str, title: Phrase, reason: Phrase, competency: str | None, indicator: str | None) -> None:
        if competency is not None and (kind, competency) in seen and kind != "discussion":
            return
        if competency is not None:
            seen.add((kind, competency))
        items.append(AgendaSeed(kind, title, reason, competency, indicator))

    held = next((g for g in result.gaps if g.holds_back), None)
    if held is not None:
        add(
            "holds_back",
            phrase(N_("%(competency)s holds the overall stage back"), competency=competency(held.competency)),
            phrase(
                N_(
                    "The overall stage is the weakest competency's; %(competency)s scores %(score)s, %(gap)s below "
                    "its target stage %(target)s."
                ),
                competency=competency(held.competency),
                score=_two(held.score),
                gap=_two(held.gap),
                target=stage(held.target),
            ),
            held.competency,
            _lowest_indicator(fw, result, held.competency),
        )
    for item in result.discussion_items[:max_discussion]:
        text = fw.text(fw.indicator(item.indicator).text)
        reason = (
            N_("The team disagrees here (two camps; rwg %(rwg)s, %(answered)s answers).")
            if item.polarised
            else N_("The team disagrees here (spread-out answers; rwg %(rwg)s, %(answered)s answers).")
        )
        add(
            "discussion",
            named(Ref("statement", item.indicator, text)),
            phrase(reason, rwg=_two(item.rwg), answered=item.answered),
            item.competency,
            item.indicator,
        )
    for spot in sorted(result.blind_spots, key=lambda s: -s.difference):
        add(
            "blind_spot",
            phrase(
                N_("%(competency)s: %(group)s sees it differently"),
                competency=competency(spot.competency),
                group=spot.group,
            ),
            phrase(
                N_(
                    "%(group)s rates it %(difference)s points above everyone else (%(group_score)s against "
                    "%(others_score)s)."
                ),
                group=spot.group,
                difference=_two(spot.difference),
                group_score=_two(spot.group_score),
                others_score=_two(spot.others_score),
            ),
            spot.competency,
            _lowest_indicator(fw, result, spot.competency),
        )
    gaps = sorted((g for g in result.gaps if not g.holds_back and g.gap > 0), key=lambda g: (-g.priority, g.competency))
    for gap in gaps[:max_gaps]:
        add(
            "gap",
            phrase(
                N_("%(competency)s: a gap of %(gap)s to %(target)s"),
                competency=competency(gap.competency),
                gap=_two(gap.gap),
                target=stage(gap.target),
            ),
            phrase(
                N_("One of the largest gaps to target (score %(score)s, priority %(priority)s)."),
                score=_two(gap.score),
                priority=_two(gap.priority),
            ),
            gap.competency,
            _lowest_indicator(fw, result, gap.competency),
        )
    return items
