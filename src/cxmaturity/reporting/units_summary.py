"""The units of a campaign as the executive documents show them: one row per unit with its roll-up (issue 16, item 1).

A hook, not the roll-up: the roll-up over a unit's subtree (with its anonymity rules: minimum size and complementary
suppression across siblings) belongs to the units service. Whoever builds it hands the report one ``UnitsSummary``
(``reporting.report.Report.units``), already anonymized, and every rendering that knows units (the slides today)
shows it as it is. Until units exist the report's ``units`` is None and no rendering shows a units part.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxmaturity.i18n.phrase import Text


@dataclass(frozen=True)
class UnitCompetency:
    """One competency of a shown unit; stage, score and interval are None when it is not assessed there."""

    name: str
    stage: str | None
    score: float | None
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class UnitRow:
    """One unit's roll-up; stage and score are None when it is withheld (too few respondents) or not assessed."""

    name: str
    #: How deep in the tree (0: the organization itself), to indent the row.
    depth: int
    respondents: int
    stage: str | None
    score: float | None
    interval: tuple[float, float] | None = None
    #: Why nothing is shown ("fewer than 5 respondents"); empty when the unit is shown.
    withheld_reason: str = ""
    #: The unit's competencies in framework order, each with its score and interval.
    competencies: tuple[UnitCompetency, ...] = ()


@dataclass(frozen=True)
class UnitsSummary:
    #: The campaign's name, e.g. "Spring 2027 store survey".
    campaign: str
    rows: tuple[UnitRow, ...]
    #: The framework's competency names, in order (the columns of the per-competency table).
    competencies: tuple[str, ...] = ()
    #: The intervals' confidence (0.9: 90% intervals).
    confidence: float = 0.9
    #: True when unit names are hidden in shared views: the rows then carry neutral names ("Unit 1").
    names_hidden: bool = False
    #: Sentences on what was withheld and why (the anonymity rules), shown under the table.
    #: Phrases (or texts as written), in the reader's language where shown.
    notes: tuple[Text, ...] = ()
