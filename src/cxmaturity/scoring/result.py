"""The result of scoring an assessment: plain, immutable values that every view (CLI, web, reports) renders."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScoringOptions:
    """Choices that change a result; all have documented defaults (docs/scoring.md)."""

    #: Groups smaller than this are not shown, so no one can be singled out.
    min_group_size: int = 3
    #: Draws from the posterior of the fulfilments for intervals and stage probabilities (scoring/uncertainty.py); 0
    #: switches them off. (Named ``bootstrap`` as the CLI option and stored settings are.)
    bootstrap: int = 1000
    seed: int = 0
    confidence: float = 0.90
    #: Target stage key per competency; a competency without one targets its next stage.
    targets: dict[str, str] = field(default_factory=dict)
    #: A group rating a competency at least this many score points above everyone else marks a blind spot.
    blind_spot_margin: float = 0.5
    #: Coverage below this is flagged as low.
    low_coverage: float = 0.7

    def __post_init__(self) -> None:
        if self.min_group_size < 1:
            raise ValueError("min_group_size must be at least 1")
        if self.bootstrap < 0:
            raise ValueError("bootstrap must be 0 or more")
        if not 0.5 <= self.confidence < 1.0:
            raise ValueError("confidence must be between 0.5 and 1")


@dataclass(frozen=True)
class Agreement:
    sd: float | None
    ad: float | None
    rwg: float | None
    rwg_lindell: float | None = None
    #: More spread than random answers would give (answers piled at both ends): two camps, not a blur. For an
    #: indicator s²/sigma²_EU > 1; for a competency r*wg(j) < 0 (docs/scoring.md section 7).
    polarised: bool = False
    #: The published rwg / rwg(j) formula left [0, 1] here; the value is reported as 0 (no agreement), and shown as
    #: out of range.
    rwg_out_of_range: bool = False


@dataclass(frozen=True)
class IndicatorResult:
    key: str
    competency: str
    answered: int
    dont_know: int
    not_applicable: int
    #: Respondents' mean normalized answer (for a rubric: the mean chosen stage number).
    mean: float | None
    distribution: dict[str, int]
    agreement: Agreement


@dataclass(frozen=True)
class CompetencyResult:
    """One competency's result. Without any usable answer it is *not assessed*: no stage, score or interval."""

    key: str
    stage: str | None
    stage_number: int | None
    score: float | None
    interval: tuple[float, float] | None
    interval_method: str
    stage_probabilities: dict[str, float]
    fulfilment: dict[str, float | None]
    coverage: float
    low_coverage: bool
    respondents: int
    agreement: Agreement
    importance: float | None
    #: Mean and sample SD over respondents of each respondent's level: their mean normalized answer over the
    #: competency's indicators (``engine.respondent_levels``), the summary of every answer.
    respondent_mean: float | None = None
    respondent_sd: float | None = None
    #: The same over the levels' angular transformation 2 asin(sqrt(level)) (``engine.angular``): what progress
    #: verdicts compare (docs/progress.md).
    respondent_angle_mean: float | None = None
    respondent_angle_sd: float | None = None

    @property
    def assessed(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class Overall:
    """The overall result over the assessed competencies; None throughout when none is assessed."""

    stage: str | None
    stage_number: int | None
    score: float | None
    interval: tuple[float, float] | None
    stage_probabilities: dict[str, float]
    rule: str
    #: As for a competency, over each respondent's weighted mean level over the competencies they answered.
    respondent_mean: float | None = None
    respondent_sd: float | None = None
    respondent_angle_mean: float | None = None
    respondent_angle_sd: float | None = None


@dataclass(frozen=True)
class DiscussionItem:
    indicator: str
    competency: str
    answered: int
    sd: float
    ad: float
    rwg: float
    distribution: dict[str, int]
    #: Answers pile up at both ends (s²/sigma²_EU > 1): the team is in two camps on this indicator.
    polarised: bool = False


@dataclass(frozen=True)
class GroupCompetency:
    key: str
    stage: str | None
    score: float | None


@dataclass(frozen=True)
class GroupResult:
    group: str
    respondents: int
    overall_stage: str | None
    overall_score: float | None
    competencies: tuple[GroupCompetency, ...]


@dataclass(frozen=True)
class BlindSpot:
    competency: str
    group: str
    group_score: float
    others_score: float
    difference: float


@dataclass(frozen=True)
class Gap:
    competency: str
    score: float
    target: str
    target_number: int
    gap: float
    weight: float
    importance: float | None
    priority: float
    #: The overall rule is "weakest" and this competency sets the overall stage: it leads the gaps.
    holds_back: bool = False


@dataclass(frozen=True)
class Result:
    framework: str
    framework_version: str
    respondents: int
    overall: Overall
    competencies: tuple[CompetencyResult, ...]
    weakest: tuple[str, ...]
    strongest: tuple[str, ...]
    coverage: float
    low_coverage: bool
    indicators: tuple[IndicatorResult, ...]
    discussion_items: tuple[DiscussionItem, ...]
    groups: tuple[GroupResult, ...]
    withheld_groups: int
    blind_spots: tuple[BlindSpot, ...]
    gaps: tuple[Gap, ...]
    options: ScoringOptions
    #: Competencies without any usable answer, left out of the overall (keys, framework order).
    not_assessed: tuple[str, ...] = ()
    #: Respondents whose every answer was don't know, not applicable or missing; not counted anywhere else.
    excluded_respondents: int = 0
    #: Whose number lets a group be shown: "independent" (respondents whose link the app e-mailed; answers the
    #: facilitator entered, imported or could have entered never count) or "imported" (every respondent was imported,
    #: so the imported rows count: no anonymity beyond what the imported survey gave). docs/scoring.md section 8.
    groups_counted: str = "independent"

    @property
    def scorable(self) -> bool:
        """Whether any competency has usable answers (otherwise there is nothing to show as a result)."""
        return self.overall.score is not None

    def competency(self, key: str) -> CompetencyResult:
        for comp in self.competencies:
            if comp.key == key:
                return comp
        raise KeyError(key)


class NotScorable(ValueError):
    """Answers that give no evidence at all: nothing may be shown as a stage."""


def require_scorable(result: Result, source: str) -> Result:
    """Return ``result``, or raise NotScorable naming ``source`` when no competency has a usable answer."""
    if not result.scorable:
        raise NotScorable(
            f"{source}: no usable answer to score: every answer is don't know, not applicable or missing"
            + (f" ({result.excluded_respondents} respondents)" if result.excluded_respondents else "")
        )
    return result
