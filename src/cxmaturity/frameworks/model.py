"""The framework language: typed, immutable models of a CX maturity model.

These models check the shape of each field. Rules that span fields (references between stages, indicators and
actions, cycles, coverage of every stage) live in ``references.py`` so that all of them can be reported at once.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

FORMAT = "cx-maturity/framework@1"

#: Answer keys every indicator accepts besides its options: "don't know" and "not applicable". Neither is a zero.
DONT_KNOW = "dk"
NOT_APPLICABLE = "na"
RESERVED_ANSWERS = (DONT_KNOW, NOT_APPLICABLE)

FrameworkId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
OptionKey = Annotated[str, StringConstraints(pattern=r"^\S(.*\S)?$", max_length=32)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class TextField:
    """Marks the fields that hold texts for people, so that translations can be checked field by field."""


#: A text is a plain string or a mapping of language codes to strings, e.g. ``{en: "...", de: "..."}``.
Text = Annotated[NonEmpty | Annotated[dict[LanguageCode, NonEmpty], Field(min_length=1)], TextField()]


def localize(text: Text, language: str, fallback: str = "en") -> str:
    """Return ``text`` in ``language``, else in ``fallback``, else in the first language it has."""
    if isinstance(text, str):
        return text
    return text.get(language) or text.get(fallback) or next(iter(text.values()))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Model):
    key: Key
    name: Text
    summary: Text | None = None
    behaviors: tuple[Text, ...] = ()
    advance: tuple[Text, ...] = ()


class ScaleOption(_Model):
    key: OptionKey
    label: Text
    value: Annotated[float, Field(ge=0.0, le=1.0)]


class Scale(_Model):
    name: Text | None = None
    options: Annotated[tuple[ScaleOption, ...], Field(min_length=2)]


class Statement(_Model):
    """An indicator rated on an answer scale; it evidences one stage."""

    kind: Literal["statement"]
    key: Key
    text: Text
    stage: Key
    scale: Key
    help: Text | None = None


class RubricOption(_Model):
    stage: Key
    text: Text


class Rubric(_Model):
    """An indicator whose options describe the stages; the respondent picks the best description."""

    kind: Literal["rubric"]
    key: Key
    text: Text
    options: Annotated[tuple[RubricOption, ...], Field(min_length=2)]
    help: Text | None = None


Indicator = Annotated[Statement | Rubric, Field(discriminator="kind")]


class Competency(_Model):
    key: Key
    name: Text
    description: Text | None = None
    #: A free label kept from the format's first release; results per track come from ``Framework.tracks``, and when
    #: a framework has tracks the label must name the competency's own track (references.py).
    track: str | None = None
    weight: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    indicators: Annotated[tuple[Indicator, ...], Field(min_length=1)]


class Track(_Model):
    """A group of competencies (a development track, a dimension) that gets a result of its own."""

    key: Key
    name: Text
    description: Text | None = None
    competencies: Annotated[tuple[Key, ...], Field(min_length=1)]


class Action(_Model):
    """A recommended action in the framework's catalog; a plan turns chosen actions into initiatives."""

    key: Key
    title: Text
    description: Text | None = None
    competency: Key
    from_stage: Key
    effort: Annotated[float, Field(ge=0.0)]
    cost: Annotated[float, Field(ge=0.0)] | None = None
    duration: Annotated[int, Field(ge=1, le=40)]
    requires: tuple[Key, ...] = ()
    indicators: tuple[Key, ...] = ()
    measure: Text | None = None


class Scoring(_Model):
    threshold: Annotated[float, Field(gt=0.0, le=1.0)] = 0.7
    overall: Literal["weakest", "mean", "median"] = "weakest"


class Framework(_Model):
    """A maturity model: ordered stages crossed with competencies, plus answer scales and an action catalog."""

    format: Literal["cx-maturity/framework@1"]
    id: FrameworkId
    name: Text
    version: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    source: Text
    description: Text | None = None
    language: LanguageCode = "en"
    #: Every language the framework is offered in, its own ``language`` included; each text must then be a mapping
    #: with exactly these languages (frameworks/translations.py). Empty: only ``language``.
    languages: tuple[LanguageCode, ...] = ()
    stages: Annotated[tuple[Stage, ...], Field(min_length=3)]
    scales: dict[Key, Scale] = Field(default_factory=dict)
    competencies: Annotated[tuple[Competency, ...], Field(min_length=1)]
    tracks: tuple[Track, ...] = ()
    actions: tuple[Action, ...] = ()
    scoring: Scoring = Scoring()

    @cached_property
    def stage_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    def stage_number(self, key: str) -> int:
        """Return the stage's position counted from 1 (the lowest stage is 1)."""
        return self.stage_keys.index(key) + 1

    @cached_property
    def indicators(self) -> tuple[tuple[Competency, Statement | Rubric], ...]:
        """Return every indicator with its competency, in framework order."""
        return tuple((c, i) for c in self.competencies for i in c.indicators)

    @cached_property
    def indicator_keys(self) -> tuple[str, ...]:
        return tuple(i.key for _, i in self.indicators)

    def indicator(self, key: str) -> Statement | Rubric:
        for _, ind in self.indicators:
            if ind.key == key:
                return ind
        raise KeyError(key)

    def track_of(self, competency: str) -> Track | None:
        """Return the track that lists ``competency``, or None (the framework has no tracks)."""
        return next((t for t in self.tracks if competency in t.competencies), None)

    def competency(self, key: str) -> Competency:
        for comp in self.competencies:
            if comp.key == key:
                return comp
        raise KeyError(key)

    def answer_keys(self, indicator: Statement | Rubric) -> tuple[str, ...]:
        """Return the keys an answer to ``indicator`` may hold, lowest first (``dk``/``na`` not included)."""
        if isinstance(indicator, Statement):
            return tuple(o.key for o in self.scales[indicator.scale].options)
        return self.stage_keys

    @property
    def offered_languages(self) -> tuple[str, ...]:
        """Return the languages a respondent may choose, the framework's own first."""
        return self.languages or (self.language,)

    def in_language(self, language: str | None) -> Framework:
        """Return the framework with ``language`` as its own, so every text reads in it; itself when not offered."""
        if not language or language == self.language or language not in self.offered_languages:
            return self
        return self.model_copy(update={"language": language})

    def text(self, value: Text, language: str | None = None) -> str:
        return localize(value, language or self.language, self.language)
