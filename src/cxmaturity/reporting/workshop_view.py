"""The workshop's section of the report (and the record's comparison): the record, and each competency's stage and
score as surveyed beside the same as agreed (docs/workshops.md); and the live screens' state in their reader's
language (the agenda's titles and reasons are stored as phrases).

The section names competencies, stages and statements by key (``Ref``), with the words they had when it was built
or, for the agenda, when the workshop started; the report names them again in its own language (``localized``), so
that a German report reads the framework's German names, and a key the framework no longer knows keeps its words."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import N_, gettext, ngettext, use_locale
from cxmaturity.i18n.formats import format_day_time, format_iso_date
from cxmaturity.i18n.phrase import (
    Items,
    Namer,
    Param,
    Phrase,
    Ref,
    Score,
    Text,
    named,
    phrase,
    phrase_from_data,
    render,
)
from cxmaturity.reporting.phrases import namer
from cxmaturity.scoring.result import Result
from cxmaturity.workshops.record import Record, RecordAgreed, RecordCommitment, RecordItem
from cxmaturity.workshops.rules import vote_options


@dataclass(frozen=True)
class StageRow:
    """One competency (or "Overall"): stage name and score, as surveyed and as agreed."""

    name: Text
    surveyed: Phrase
    agreed: Phrase
    changed: bool


@dataclass(frozen=True)
class RoundRow:
    #: A phrase for an item built from the results (the report writes it in its language), else as written.
    title: Text
    skipped: bool
    #: Each revealed round as "label n · label n".
    rounds: tuple[str, ...]


#: Whether a commitment was kept, as the record page words it (``workshops.record.KEPT_WORDS``), marked here so that
#: the report and the slides write it in their language.
KEPT = {True: N_("kept"), False: N_("not kept"), None: N_("not reviewed yet")}


@dataclass(frozen=True)
class WorkshopSection:
    record: Record
    rows: tuple[StageRow, ...]
    items: tuple[RoundRow, ...]
    #: Whether any agreed answer changes the result (else "as agreed" is "as surveyed").
    any_agreed: bool

    # The record keeps plain values (ISO text, booleans): the report words them when it is written, in the active
    # locale (``use_locale``), so that a German report reads German dates and sentences.

    def started(self) -> str:
        """When the workshop started, as the locale writes a day and a time (the record's ISO text, in UTC)."""
        return format_day_time(datetime.fromisoformat(self.record.started_at))

    @staticmethod
    def by_day(commitment: RecordCommitment) -> str:
        """A commitment's "by when" (ISO text in the record) as the locale writes a day; other text as written."""
        return format_iso_date(commitment.by_when)

    @staticmethod
    def outcome(commitment: RecordCommitment) -> str:
        """ "kept", "not kept" or "not reviewed yet" in the active locale."""
        return gettext(KEPT[commitment.kept])

    def kept_summary(self) -> str | None:
        """ "1 of 2 public commitments kept, 1 not kept, as reviewed at Spring check" in the active locale once any
        was reviewed; None before. Counted from the commitments' stored outcomes, so every language reads the same
        numbers."""
        r = self.record
        reviewed = [c for c in r.commitments if c.kept is not None]
        if not reviewed:
            return None
        kept, total = sum(1 for c in reviewed if c.kept), len(r.commitments)
        text = ngettext(
            "%(kept)s of %(count)s public commitment kept", "%(kept)s of %(count)s public commitments kept", total
        ) % {"kept": kept, "count": total}
        if kept < len(reviewed):
            text += ", " + gettext("%(count)s not kept") % {"count": len(reviewed) - kept}
        if len(reviewed) < total:
            text += ", " + gettext("%(count)s not reviewed yet") % {"count": total - len(reviewed)}
        if r.reviewed_in:
            text += ", " + gettext("as reviewed at %(workshop)s") % {"workshop": r.reviewed_in}
        return text


def _stage(fw: Framework, stage: str | None, score: float | None) -> Phrase:
    # Phrases: the report writes them in its language, the score with its decimal sign (i18n/phrase.py); rounded
    # here, so that two scores reading alike compare alike.
    if stage is None or score is None:
        return phrase(N_("not assessed"))
    return phrase(
        N_("%(stage)s (%(score)s)"),
        stage=Ref("stage", stage, fw.text(fw.stages[fw.stage_keys.index(stage)].name)),
        score=Score(f"{score:.2f}"),
    )


def _rounds(fw: Framework, item: RecordItem) -> tuple[str, ...]:
    """Each revealed round as "label n · label n", the options labelled as ``fw`` (in its language) labels them."""
    labels = dict(vote_options(fw, item.indicator)) if item.indicator in fw.indicator_keys else {}
    return tuple(" · ".join(f"{labels.get(key, key)} {n}" for key, n in counts.items()) for counts in item.rounds)


def build(record: Record, fw: Framework, surveyed: Result, agreed: Result | None) -> WorkshopSection:
    """Return the report's workshop section; ``agreed`` is the result as agreed (None: nothing agreed)."""
    after = agreed or surveyed
    names = {c.key: fw.text(c.name) for c in fw.competencies}
    rows = []
    by_key = {c.key: c for c in after.competencies}
    for comp in surveyed.competencies:
        other = by_key[comp.key]
        before_text = _stage(fw, comp.stage, comp.score)
        after_text = _stage(fw, other.stage, other.score)
        name = named(Ref("competency", comp.key, names.get(comp.key, comp.key)))
        rows.append(StageRow(name, before_text, after_text, before_text != after_text))
    overall_before = _stage(fw, surveyed.overall.stage, surveyed.overall.score)
    overall_after = _stage(fw, after.overall.stage, after.overall.score)
    rows.append(StageRow(phrase(N_("Overall")), overall_before, overall_after, overall_before != overall_after))
    items = [RoundRow(item.shown_title, item.skipped, _rounds(fw, item)) for item in record.items]
    return WorkshopSection(record, tuple(rows), tuple(items), agreed is not None)


def _renamed(value: Param, name: Namer) -> Param:
    """``value`` with every framework thing in it carrying the name ``name`` gives it (its words when unknown)."""
    if isinstance(value, Ref):
        return replace(value, text=name(value))
    if isinstance(value, Phrase):
        return _renamed_phrase(value, name)
    if isinstance(value, Items):
        return replace(value, items=tuple(_renamed(v, name) for v in value.items))
    return value


def _renamed_phrase(value: Phrase, name: Namer) -> Phrase:
    return replace(value, params=tuple((k, _renamed(v, name)) for k, v in value.params))


def _renamed_text(value: Text, name: Namer) -> Text:
    """A phrase renamed; a text someone typed (an item the facilitator added) as written."""
    return value if isinstance(value, str) else _renamed_phrase(value, name)


def _agreed_in(fw: Framework, agreed: RecordAgreed) -> RecordAgreed:
    """An agreed answer's statement and option as ``fw`` writes them; as recorded for a key it no longer knows."""
    if agreed.indicator not in fw.indicator_keys:
        return agreed
    labels = dict(vote_options(fw, agreed.indicator))
    question = fw.text(fw.indicator(agreed.indicator).text)
    return replace(agreed, question=question, label=labels.get(agreed.option, agreed.label))


def localized(section: WorkshopSection, fw: Framework) -> WorkshopSection:
    """Return ``section`` with its competencies, stages and statements named as ``fw`` names them (the report's
    framework, in the report's language: ``Framework.in_language``), the agenda's titles too (stored with the words
    of the day the workshop started), the votes' options and the agreed answers as ``fw`` labels them. A key ``fw``
    no longer knows keeps the words it was stored with. Phrases stay phrases: the report and the slides write them in
    the report's locale."""
    name = namer(fw)
    rows = tuple(
        replace(
            row,
            name=_renamed_text(row.name, name),
            surveyed=_renamed_phrase(row.surveyed, name),
            agreed=_renamed_phrase(row.agreed, name),
        )
        for row in section.rows
    )
    items = tuple(
        replace(shown, title=_renamed_text(shown.title, name), rounds=_rounds(fw, item))
        for shown, item in zip(section.items, section.record.items, strict=True)
    )
    record = replace(section.record, agreed=tuple(_agreed_in(fw, a) for a in section.record.agreed))
    return replace(section, record=record, rows=rows, items=items)


# --------------------------------------------------------------------------------------------------------------------
# The live screens' state in a reader's language


def _localized(entry: dict[str, Any], name: Namer) -> dict[str, Any]:
    shown = dict(entry)
    for key in ("title", "reason"):
        found = phrase_from_data(shown.pop(f"{key}_phrase", None))
        if found is not None:
            shown[key] = render(found, name)
    return shown


def state_in_language(state: dict[str, Any], fw: Framework, language: str) -> dict[str, Any]:
    """A workshop screen's state (services/workshop_state.py) with the agenda's titles and reasons in ``language``
    (a competency and a stage named as the framework names them there), and the item's question and options as the
    framework writes them in that language where it offers it; items stored before phrases, and those the facilitator
    typed, as written. The state shared by every screen is left as it is."""
    local = fw.in_language(language)
    name = namer(local)
    with use_locale(language):
        shown = dict(state)
        if isinstance(state.get("agenda"), list):
            shown["agenda"] = [_localized(entry, name) for entry in state["agenda"]]
        if isinstance(state.get("item"), dict):
            shown["item"] = _question_in(local, _localized(state["item"], name))
    return shown


def _question_in(fw: Framework, item: dict[str, Any]) -> dict[str, Any]:
    """The item's question and its options' labels as ``fw`` (in the screen's language) writes them."""
    indicator = item.get("indicator")
    if indicator not in fw.indicator_keys:
        return item
    labels = dict(vote_options(fw, indicator))
    item["question"] = fw.text(fw.indicator(indicator).text)
    item["options"] = [{**o, "label": labels.get(o["key"], o["label"])} for o in item.get("options") or ()]
    agreed = item.get("agreed")
    if isinstance(agreed, dict):
        item["agreed"] = {**agreed, "label": labels.get(str(agreed.get("option")), agreed.get("label"))}
    return item


def state_in_english(state: dict[str, Any]) -> dict[str, Any]:
    """The state as the API returns it: the stored English titles and reasons, without their phrases."""
    shown = dict(state)
    if isinstance(state.get("agenda"), list):
        shown["agenda"] = [{k: v for k, v in e.items() if k != "title_phrase"} for e in state["agenda"]]
    if isinstance(state.get("item"), dict):
        shown["item"] = {k: v for k, v in state["item"].items() if k not in ("title_phrase", "reason_phrase")}
    return shown
