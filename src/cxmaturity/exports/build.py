"""Build an export of an assessment: its typed tables, an about table, and its JSON document."""

from __future__ import annotations

import random
from dataclasses import asdict
from typing import Any

from cxmaturity.demo import SYNTHETIC_LABEL
from cxmaturity.exports.anonymity import GroupLabels, group_labels, pseudonym_order
from cxmaturity.exports.answers_table import answers_table, comments_table
from cxmaturity.exports.catalog import EXPORTS, ExportError
from cxmaturity.exports.model import Cell, Column, Export, Source, Table
from cxmaturity.exports.plan_table import plan_table
from cxmaturity.exports.results_tables import (
    competencies_table,
    distributions_table,
    groups_table,
    indicators_table,
    overall_table,
    tracks_table,
)
from cxmaturity.exports.workshop_tables import workshop_tables
from cxmaturity.i18n.catalogs import N_
from cxmaturity.scoring.responses import IMPORTED
from cxmaturity.scoring.serialize import result_to_dict

FORMAT = "cx-maturity/export@1"
#: Exports whose JSON is the API's own document, unchanged.
API_DOCUMENTS = ("results", "plan")

ANONYMITY = N_(
    "Respondents appear under pseudonyms drawn at random for this export. A group is named only when the results "
    "show it; respondents of smaller groups and respondents without a group have an empty group."
)
ALL_WITHHELD = N_(
    "No group is named: the respondents of groups below the minimum size (and those without a group) are fewer than "
    "the minimum size, so naming the other groups would single them out."
)
IMPORTED_ONLY = N_(
    "Every respondent was imported: groups are counted by the imported rows, so this file is as anonymous as the "
    "imported survey was, and no more."
)
FORMULAS = N_(
    "Text starting with =, +, -, @, a tab or a carriage return has a leading apostrophe so that spreadsheets do not "
    "run it; cxm score and the CSV import remove it."
)


def build(source: Source, name: str, rng: random.Random | None = None) -> Export:
    """Return the export ``name`` (see ``catalog.EXPORTS``) of ``source``; ``rng`` draws the pseudonyms' order."""
    if name not in EXPORTS:
        raise ExportError(f"there is no export named '{name}'; the exports are {', '.join(EXPORTS)}")
    if name == "plan" and source.plan is None:
        raise ExportError("this assessment has no saved plan yet: make one on the plan page")
    fw, result = source.framework, source.result
    responses = source.responses
    shown = {g.group for g in result.groups}
    labels = group_labels(responses.groups, shown, result.options.min_group_size, list(responses.counts_for_groups()))
    tables: list[Table] = []
    for table in EXPORTS[name]:
        if table == "answers":
            order = pseudonym_order(source.responses.size, rng)
            tables.append(answers_table(fw, source.responses, labels, order))
        elif table == "comments":
            tables.append(comments_table(fw, source.comments, result))
        elif table == "overall":
            tables.append(overall_table(fw, result))
        elif table == "competencies":
            tables.append(competencies_table(fw, result))
        elif table == "tracks":
            tables.append(tracks_table(fw, result))
        elif table == "indicators":
            tables.append(indicators_table(fw, result))
        elif table == "distributions":
            tables.append(distributions_table(fw, result))
        elif table == "groups":
            tables.append(groups_table(fw, result))
        elif table == "plan" and source.plan is not None:
            tables.append(plan_table(source.plan))
    if name == "all" and source.workshop is not None:
        tables += workshop_tables(fw, source.workshop)
    about = about_table(source, labels)
    return Export(name, tuple(tables), about, lambda: _document(name, tables, about, source), source.synthetic)


#: Which result the export's tables hold (issue 14: every export says whether it shows results as surveyed or agreed).
RESULTS_BASIS = N_("as surveyed (the respondents' answers); a workshop's agreed answers are in workshop_agreed")

ABOUT_COLUMNS = (Column("field", "text", "What the value is."), Column("value", "mixed", "The value."))


def about_table(source: Source, labels: GroupLabels) -> Table:
    """Return what the export is of and how it was made: a field-value table, the first sheet people read."""
    fw, result = source.framework, source.result
    rows: list[tuple[str, Cell]] = []
    if source.synthetic:
        rows.append(("data", SYNTHETIC_LABEL))
    rows += [
        ("assessment", source.title),
        ("framework", fw.id),
        ("framework_name", fw.text(fw.name)),
        ("framework_version", fw.version),
        # Spreadsheets have no time zones: the time is UTC without one.
        ("exported_at_utc", source.exported_at.replace(tzinfo=None, microsecond=0)),
        ("respondents", result.respondents),
        ("min_group_size", result.options.min_group_size),
        ("groups_named_in_answers", ", ".join(labels.kept)),
        ("respondents_without_group_in_answers", labels.unnamed),
        ("anonymity", ALL_WITHHELD if labels.all_withheld else ANONYMITY),
        *([("groups_counted", IMPORTED_ONLY)] if result.groups_counted == IMPORTED else []),
        ("formulas", FORMULAS),
        ("results", RESULTS_BASIS),
        *(
            [("workshop_private_commitments", source.workshop.private_commitments)]
            if source.workshop is not None
            else []
        ),
    ]
    return Table("about", ABOUT_COLUMNS, rows)


def _labelled(data: dict[str, Any], synthetic: bool) -> dict[str, Any]:
    return {"data": SYNTHETIC_LABEL, **data} if synthetic else data


def _document(name: str, tables: list[Table], about: Table, source: Source) -> dict[str, Any]:
    """Return the JSON: the API's own document for results and plan, else the tables' rows in an envelope."""
    if name == "results":
        return _labelled(result_to_dict(source.result), source.synthetic)
    if name == "plan":
        assert source.plan is not None
        return _labelled(dict(source.plan.document), source.synthetic)
    document: dict[str, Any] = {"format": FORMAT, "export": name, "about": {str(f): v for f, v in about.rows}}
    for table in tables:
        if table.name in ("answers", "comments"):
            document[table.name] = table.records()
    if name == "all":
        document["results"] = result_to_dict(source.result)
        document["plan"] = dict(source.plan.document) if source.plan is not None else None
        document["workshop"] = asdict(source.workshop) if source.workshop is not None else None
    return _labelled(document, source.synthetic)


#: The about table's fixed sentences, written again in the language of a translated file (``headings.localized``).
ABOUT_SENTENCES = {
    text: text for text in (ANONYMITY, ALL_WITHHELD, IMPORTED_ONLY, FORMULAS, RESULTS_BASIS, SYNTHETIC_LABEL)
}
