"""Column headers and sheet names of an export in the requester's language (docs/exports.md, "Headers and
languages").

An export's tables are made with stable, machine-readable names (``stage_number``, ``answers``): the JSON always
and CSV files by default keep them, because files are re-imported and read by scripts. A workbook opened by people
gets them in the requester's language (``Stufennummer`` on the sheet ``Antworten``) unless stable headers are asked
for; a CSV file when a language is asked for. Only names change: cells keep their values (keys, numbers, the
framework's texts in its language), and indicator and competency keys stay keys, because the answers are read
back by them (``answers.headings`` reads the translated answers headers back in any language).

English is the stable names themselves, so an English file is byte for byte what it was before languages existed.
"""

from __future__ import annotations

import re
from dataclasses import replace

from cxmaturity.answers.headings import COLUMN_WORDS, SHEET_WORDS
from cxmaturity.exports.model import Cell, Export, Table
from cxmaturity.i18n.catalogs import DEFAULT_LOCALE, LOCALES, N_, gettext, use_locale

#: Sheet (table) names.
TABLE_WORDS = {
    **SHEET_WORDS,
    "comments": N_("Comments"),
    "overall": N_("Overall"),
    "competencies": N_("Competencies"),
    "tracks": N_("Tracks"),
    "indicators": N_("Indicators"),
    "distributions": N_("Answer counts"),
    "groups": N_("Groups"),
    "plan": N_("Plan"),
    "about": N_("About this export"),
    "workshop_agreed": N_("Workshop: agreed"),
    "workshop_votes": N_("Workshop: votes"),
    "workshop_commitments": N_("Workshop: commitments"),
    "workshop_next_steps": N_("Workshop: next steps"),
}

#: Column names (of every table) -> their words. A name not listed (indicator and competency keys, ``rwg``) stays.
HEADER_WORDS = {
    **{name: words for name, words in COLUMN_WORDS.items() if name not in ("importance", "comment")},
    "comment": N_("Comment"),
    "importance": N_("Importance"),
    "indicator_text": N_("Question"),
    "framework": N_("Framework"),
    "framework_version": N_("Framework version"),
    "respondents": N_("Respondents"),
    "excluded_respondents": N_("Excluded respondents"),
    "not_assessed": N_("Not assessed"),
    "stage": N_("Stage"),
    "stage_number": N_("Stage number"),
    "stage_name": N_("Stage name"),
    "score": N_("Score"),
    "lower": N_("Interval from"),
    "upper": N_("Interval to"),
    "stage_probability": N_("Stage probability"),
    "rule": N_("Rule"),
    "coverage": N_("Coverage"),
    "low_coverage": N_("Low coverage"),
    "groups_shown": N_("Groups shown"),
    "withheld_groups": N_("Withheld groups"),
    "min_group_size": N_("Minimum group size"),
    "confidence": N_("Confidence"),
    "bootstrap": N_("Posterior draws"),
    "competency": N_("Competency"),
    "competencies": N_("Competencies"),
    "name": N_("Name"),
    "assessed": N_("Assessed"),
    "interval_method": N_("Interval method"),
    "sd": N_("Standard deviation"),
    "ad": N_("Average deviation"),
    "polarised": N_("Polarised"),
    "weight": N_("Weight"),
    "target": N_("Target"),
    "target_number": N_("Target stage number"),
    "gap": N_("Gap"),
    "priority": N_("Priority"),
    "track": N_("Track"),
    "kind": N_("Kind"),
    "text": N_("Text"),
    "answered": N_("Answered"),
    "dont_know": N_("Don't know"),
    "not_applicable": N_("Not applicable"),
    "mean": N_("Mean"),
    "discussion_rank": N_("Discussion rank"),
    "option": N_("Option"),
    "label": N_("Label"),
    "value": N_("Value"),
    "count": N_("Count"),
    "overall_stage": N_("Overall stage"),
    "overall_score": N_("Overall score"),
    "key": N_("Key"),
    "title": N_("Title"),
    "from_stage": N_("From stage"),
    "start": N_("Start"),
    "end": N_("End"),
    "cost": N_("Cost"),
    "effort": N_("Effort"),
    "quick_win": N_("Quick win"),
    "owner": N_("Owner"),
    "locked": N_("Locked"),
    "custom": N_("Custom"),
    "expected_from": N_("Expected from"),
    "expected_to": N_("Expected to"),
    "indicators": N_("Indicators"),
    "discussion_items": N_("Discussion items"),
    "measure": N_("Measure"),
    "reason": N_("Reason"),
    "start_date": N_("Start date"),
    "end_date": N_("End date"),
    "statement": N_("Statement"),
    "agreed_option": N_("Agreed option"),
    "agreed_label": N_("Agreed answer"),
    "rationale": N_("Rationale"),
    "evidence": N_("Evidence"),
    "item": N_("Agenda item"),
    "round": N_("Round"),
    "votes": N_("Votes"),
    "who": N_("Who"),
    "what": N_("What"),
    "by_when": N_("By when"),
    "kept": N_("Kept"),
    "in_plan": N_("In the plan"),
    "field": N_("Field"),
}
#: ``fulfilment_S``: the weighted share of stage ``S``'s evidence that is met.
FULFILMENT = re.compile(r"fulfilment_(.+)")
FULFILMENT_WORDS = N_("Fulfilment %(stage)s")

#: The about table's fields (its ``field`` cells) -> their words.
ABOUT_WORDS = {
    "data": N_("Data"),
    "assessment": N_("Assessment"),
    "framework": N_("Framework"),
    "framework_name": N_("Framework name"),
    "framework_version": N_("Framework version"),
    "exported_at_utc": N_("Exported at (UTC)"),
    "respondents": N_("Respondents"),
    "min_group_size": N_("Minimum group size"),
    "groups_named_in_answers": N_("Groups named in the answers"),
    "respondents_without_group_in_answers": N_("Respondents without a group in the answers"),
    "anonymity": N_("Anonymity"),
    "groups_counted": N_("Groups counted"),
    "formulas": N_("Formulas"),
    "results": N_("Results"),
    "workshop_private_commitments": N_("Private commitments of the workshop"),
}


def header_words(name: str) -> str:
    """One column's header in the active locale: ``stage_number`` -> ``Stufennummer``; ``K:importance`` ->
    ``K:Wichtigkeit``; keys stay as they are."""
    if name in HEADER_WORDS:
        return gettext(HEADER_WORDS[name])
    base, colon, suffix = name.rpartition(":")
    if colon and suffix in ("importance", "comment"):
        return f"{base}:{gettext(COLUMN_WORDS[suffix])}"
    if found := FULFILMENT.fullmatch(name):
        return gettext(FULFILMENT_WORDS) % {"stage": found.group(1)}
    return name


def _about_cell(value: Cell, sentences: dict[str, str]) -> Cell:
    return gettext(sentences[value]) if isinstance(value, str) and value in sentences else value


def localized(export: Export, language: str | None, sentences: dict[str, str] | None = None) -> Export:
    """``export`` with its sheet names and headers (and the about table's fields, and its fixed sentences given as
    ``sentences``: text -> msgid) in ``language``; itself for English or no language (the stable names)."""
    if language is None or language == DEFAULT_LOCALE or language not in LOCALES:
        return export
    known = sentences or {}
    with use_locale(language):

        def table(found: Table) -> Table:
            columns = tuple(replace(c, name=header_words(c.name)) for c in found.columns)
            name = gettext(TABLE_WORDS[found.name]) if found.name in TABLE_WORDS else found.name
            return Table(name, columns, found.rows)

        about = table(export.about)
        rows = [
            (gettext(ABOUT_WORDS[str(f)]) if f in ABOUT_WORDS else f, _about_cell(v, known))
            for f, v in export.about.rows
        ]
        return replace(
            export, tables=tuple(table(t) for t in export.tables), about=Table(about.name, about.columns, rows)
        )
