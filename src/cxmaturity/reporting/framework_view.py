"""A framework as the framework browser shows it: what it is for, where it comes from, its stages, competencies and
tracks, the whole questionnaire as respondents see it, and how long it takes; and two frameworks side by side.

Texts are resolved in the framework's language, and the view's own words (the overall rule in words, the comparison's
labels) in the active locale (``i18n.use_locale``). The questionnaire's wording and option order are the respondent
pages' (``frameworks.describe.answer_options``), and the time is the estimate ``cxm frameworks lint`` uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxmaturity.frameworks.describe import answer_options
from cxmaturity.frameworks.lint import estimated_minutes
from cxmaturity.frameworks.model import Framework, Rubric, Statement
from cxmaturity.i18n import N_, ngettext
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.formats import format_percent
from cxmaturity.i18n.phrase import labelled, semicolons

#: How the overall rule reads in a sentence, for a track and for the whole framework alike (translated where used).
RULE_WORDS = {
    "weakest": N_("the stage of the weakest competency"),
    "mean": N_("the weighted mean of the competencies' scores"),
    "median": N_("the median of the competencies' scores"),
}


@dataclass(frozen=True)
class StageInfo:
    number: int
    key: str
    name: str
    summary: str | None
    behaviors: tuple[str, ...]
    advance: tuple[str, ...]


@dataclass(frozen=True)
class TrackInfo:
    key: str
    name: str
    description: str | None
    #: Names of its competencies, in framework order.
    competencies: tuple[str, ...]


@dataclass(frozen=True)
class CompetencyInfo:
    key: str
    name: str
    description: str | None
    weight: float
    #: The name of its track; None when the framework has no tracks.
    track: str | None
    questions: int


@dataclass(frozen=True)
class QuestionInfo:
    number: int
    key: str
    text: str
    help: str | None
    rubric: bool
    #: The stage a statement is evidence for (its name); None for a rubric, whose options are the stages.
    evidence_for: str | None
    #: The answer options' labels, in the order respondents see them (don't know and not applicable come after).
    options: tuple[str, ...]


@dataclass(frozen=True)
class QuestionnairePage:
    """One page of the survey: respondents answer one competency per page."""

    number: int
    competency: str
    description: str | None
    questions: tuple[QuestionInfo, ...]


@dataclass(frozen=True)
class FrameworkView:
    #: How the new-assessment form names it: "builtin:ID" or "uploaded:ROW".
    ref: str
    id: str
    name: str
    version: str
    uploaded: bool
    source: str
    #: The description split into paragraphs (empty without one).
    description: tuple[str, ...]
    language: str
    stages: tuple[StageInfo, ...]
    tracks: tuple[TrackInfo, ...]
    competencies: tuple[CompetencyInfo, ...]
    questionnaire: tuple[QuestionnairePage, ...]
    statements: int
    rubrics: int
    #: The respondent's time, rounded up to whole minutes (15 s a statement, 40 s a rubric).
    minutes: int
    actions: int
    threshold: float
    rule: str
    #: The overall rule in words, e.g. "the stage of the weakest competency".
    rule_words: str

    @property
    def questions(self) -> int:
        return self.statements + self.rubrics

    @property
    def summary(self) -> str:
        """The description's first paragraph, for lists."""
        return self.description[0] if self.description else ""


def _paragraphs(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def _question(fw: Framework, number: int, indicator: Statement | Rubric) -> QuestionInfo:
    stage = fw.text(fw.stages[fw.stage_number(indicator.stage) - 1].name) if isinstance(indicator, Statement) else None
    return QuestionInfo(
        number=number,
        key=indicator.key,
        text=fw.text(indicator.text),
        help=fw.text(indicator.help) if indicator.help is not None else None,
        rubric=isinstance(indicator, Rubric),
        evidence_for=stage,
        options=tuple(label for _, label in answer_options(fw, indicator)),
    )


def build(fw: Framework, ref: str, *, uploaded: bool = False) -> FrameworkView:
    """Return the browser's view of ``fw``, which the new-assessment form knows as ``ref``."""
    comp_name = {c.key: fw.text(c.name) for c in fw.competencies}
    track_name = {c: fw.text(t.name) for t in fw.tracks for c in t.competencies}
    statements = sum(isinstance(i, Statement) for _, i in fw.indicators)
    return FrameworkView(
        ref=ref,
        id=fw.id,
        name=fw.text(fw.name),
        version=fw.version,
        uploaded=uploaded,
        source=" ".join(fw.text(fw.source).split()),
        description=_paragraphs(fw.text(fw.description) if fw.description else None),
        language=fw.language,
        stages=tuple(
            StageInfo(
                number=n,
                key=s.key,
                name=fw.text(s.name),
                summary=fw.text(s.summary) if s.summary else None,
                behaviors=tuple(fw.text(b) for b in s.behaviors),
                advance=tuple(fw.text(a) for a in s.advance),
            )
            for n, s in enumerate(fw.stages, start=1)
        ),
        tracks=tuple(
            TrackInfo(
                key=t.key,
                name=fw.text(t.name),
                description=fw.text(t.description) if t.description else None,
                competencies=tuple(comp_name[c] for c in t.competencies),
            )
            for t in fw.tracks
        ),
        competencies=tuple(
            CompetencyInfo(
                key=c.key,
                name=comp_name[c.key],
                description=fw.text(c.description) if c.description else None,
                weight=c.weight,
                track=track_name.get(c.key),
                questions=len(c.indicators),
            )
            for c in fw.competencies
        ),
        questionnaire=tuple(
            QuestionnairePage(
                number=n,
                competency=comp_name[c.key],
                description=fw.text(c.description) if c.description else None,
                questions=tuple(_question(fw, q, i) for q, i in enumerate(c.indicators, start=1)),
            )
            for n, c in enumerate(fw.competencies, start=1)
        ),
        statements=statements,
        rubrics=len(fw.indicators) - statements,
        minutes=max(1, math.ceil(estimated_minutes(fw))),
        actions=len(fw.actions),
        threshold=fw.scoring.threshold,
        rule=fw.scoring.overall,
        rule_words=_(RULE_WORDS[fw.scoring.overall]),
    )


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    left: str
    right: str


@dataclass(frozen=True)
class FrameworkComparison:
    left: FrameworkView
    right: FrameworkView
    rows: tuple[ComparisonRow, ...]

    @property
    def same(self) -> bool:
        """Whether both sides are the same framework (two identical columns compare nothing)."""
        return self.left.ref == self.right.ref


def _facts(view: FrameworkView) -> dict[str, str]:
    """The facts compared, labelled in the active locale."""
    tracks = semicolons([f"{t.name} ({', '.join(t.competencies)})" for t in view.tracks])
    return {
        _("Version"): view.version,
        _("Source"): view.source,
        _("Stages"): labelled(str(len(view.stages)), ", ".join(s.name for s in view.stages)),
        _("Competencies"): labelled(str(len(view.competencies)), ", ".join(c.name for c in view.competencies)),
        _("Tracks"): tracks or _("none"),
        _("Questions"): _("%(questions)s (%(statements)s statements, %(rubrics)s rubrics)")
        % {"questions": view.questions, "statements": view.statements, "rubrics": view.rubrics},
        _("Time to answer"): ngettext("about %(num)s minute", "about %(num)s minutes", view.minutes)
        % {"num": view.minutes},
        _("Actions in the catalog"): str(view.actions),
        _("Overall stage"): view.rule_words,
        _("A stage is met at"): _("%(share)s fulfilment") % {"share": format_percent(view.threshold)},
    }


def compare(left: FrameworkView, right: FrameworkView) -> FrameworkComparison:
    """Return two frameworks' facts side by side, row by row, labelled in the active locale."""
    a, b = _facts(left), _facts(right)
    return FrameworkComparison(left, right, tuple(ComparisonRow(label, a[label], b[label]) for label in a))
