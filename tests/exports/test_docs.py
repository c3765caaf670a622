"""docs/exports.md lists every column of every table under that table's heading, and every export and format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.exports import EXPORTS, FORMATS, build
from cxmaturity.exports.answers_table import COMMENT_COLUMNS, answers_columns
from cxmaturity.exports.build import ABOUT_COLUMNS
from cxmaturity.exports.model import Column
from cxmaturity.exports.plan_table import PLAN_COLUMNS
from cxmaturity.exports.results_tables import (
    DISTRIBUTION_COLUMNS,
    INDICATOR_COLUMNS,
    OVERALL_COLUMNS,
    TRACK_COLUMNS,
    competency_columns,
    group_columns,
)
from cxmaturity.frameworks import Framework, load_builtin
from tests.exports.conftest import source_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "exports.md"
FW = load_builtin("xm-six-competencies")


def _section(doc: str, table: str) -> str:
    found = re.search(rf"^### `{table}`\n(.*?)(?=^##)", doc, re.S | re.M)
    assert found, f"docs/exports.md has no section for the table {table}"
    return found.group(1)


def _documented_name(fw: Framework, name: str) -> str:
    """The name as the docs write it: columns named after the framework's keys are written as a pattern."""
    if name.endswith(":importance"):
        return "K:importance"
    if name in fw.indicator_keys:
        return "K"
    if name.startswith("fulfilment_"):
        return "fulfilment_S"
    if name in {c.key for c in fw.competencies}:
        return "C"
    return name


TABLES: dict[str, tuple[Column, ...]] = {
    "answers": answers_columns(FW),
    "comments": COMMENT_COLUMNS,
    "overall": OVERALL_COLUMNS,
    "competencies": competency_columns(FW),
    "tracks": TRACK_COLUMNS,
    "indicators": INDICATOR_COLUMNS,
    "distributions": DISTRIBUTION_COLUMNS,
    "groups": group_columns(FW),
    "plan": PLAN_COLUMNS,
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_column_is_documented_under_its_table(table: str) -> None:
    section = _section(DOC.read_text(encoding="utf-8"), table)
    documented = set(re.findall(r"`([^`]+)`", section))
    for column in TABLES[table]:
        assert _documented_name(FW, column.name) in documented, (table, column.name)


def test_every_table_export_and_format_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    tables = {t for names in EXPORTS.values() for t in names}
    assert tables == set(TABLES)
    for name in EXPORTS:
        assert f"| `{name}` |" in doc
    for fmt in FORMATS:
        assert f"| `{fmt}` |" in doc
    about = _section(doc, "about")
    for column in ABOUT_COLUMNS:
        assert f"`{column.name}`" in about
    fields = [row[0] for row in build(source_of(FW, demo_responses(FW)), "answers").about.rows]
    for field in fields:
        assert f"`{field}`" in about, field
