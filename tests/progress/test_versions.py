"""A framework's new version: indicators matched by key, changes flagged, and only what both versions share compared."""

from __future__ import annotations

from typing import Any

import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.progress import compare, comparison_to_dict, diff
from tests.progress.support import FW, edited, snap


def _indicator(data: dict[str, Any], key: str) -> dict[str, Any]:
    for comp in data["competencies"]:
        for ind in comp["indicators"]:
            if ind["key"] == key:
                found: dict[str, Any] = ind
                return found
    raise KeyError(key)


def _competency(data: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["competencies"] if c["key"] == key)
    return found


def _version_2(data: dict[str, Any]) -> None:
    data["version"] = "2.0"
    # lead: one indicator reworded (still compared).
    _indicator(data, "ld-2a")["text"] = "Our leaders talk about customers in every management meeting."
    # activate: three of six indicators change in substance, so the competency is not comparable.
    _indicator(data, "ac-2a")["scale"] = "practice4"
    _indicator(data, "ac-3a")["stage"] = "initiate"
    _indicator(data, "ac-5a")["scale"] = "practice4"
    # enlighten: one indicator added.
    _competency(data, "enlighten")["indicators"].insert(
        5,
        {
            "key": "en-5b",
            "kind": "statement",
            "text": "Insight reaches the front line.",
            "stage": "embed",
            "scale": "agree5",
        },
    )
    # respond: one indicator removed (and the actions' references to it).
    comp = _competency(data, "respond")
    comp["indicators"] = [i for i in comp["indicators"] if i["key"] != "rs-3b"]
    for action in data.get("actions", []):
        action["indicators"] = [k for k in action.get("indicators", []) if k != "rs-3b"]


@pytest.fixture(scope="module")
def v2() -> Framework:
    return edited(FW, _version_2)


def test_it_matches_indicators_by_key_and_flags_each_change(v2: Framework) -> None:
    found = diff(FW, v2)
    assert (found.before_version, found.after_version) == ("1.0", "2.0")
    changed = {i.key: i.changes for i in found.changed}
    assert changed == {"ld-2a": ("text",), "ac-2a": ("scale",), "ac-3a": ("stage",), "ac-5a": ("scale",)}
    assert [i.key for i in found.added] == ["en-5b"]
    assert [i.key for i in found.removed] == ["rs-3b"]
    assert found.indicator("ld-2a").comparable  # type: ignore[union-attr]
    assert not found.indicator("ac-2a").comparable  # type: ignore[union-attr]
    assert not found.identical


def test_it_compares_only_competencies_that_stayed_comparable(v2: Framework) -> None:
    scopes = {s.key: s for s in diff(FW, v2).competencies}
    assert scopes["lead"].comparable  # reworded only
    assert scopes["enlighten"].comparable  # 7 of 8 shared
    assert scopes["respond"].comparable  # 5 of 6 shared
    assert not scopes["activate"].comparable
    assert scopes["activate"].reason == "only 3 of its 6 indicators are unchanged in substance"


def test_it_says_what_it_could_and_could_not_compare(v2: Framework) -> None:
    found = compare(snap(FW, 20, 0.3, seed=1), snap(v2, 20, 0.75, seed=2))
    verdicts = {c.key: c.verdict for c in found.competencies}
    assert verdicts["activate"] == "not comparable"
    assert found.competency("activate").difference is None
    assert {v for k, v in verdicts.items() if k != "activate"} == {"improved"}
    assert found.overall.verdict == "not comparable"
    assert "The framework changed from version 1.0 to 2.0." in found.notes
    assert "Indicators matched by key: 4 changed, 1 added, 1 removed." in found.notes
    assert "Compared 5 of 6 competencies." in found.notes
    assert "activate is not comparable: only 3 of its 6 indicators are unchanged in substance." in found.notes
    # Means of changed-in-substance, added or removed indicators are never compared.
    assert {m.key for m in found.indicators}.isdisjoint({"ac-2a", "ac-3a", "ac-5a", "en-5b", "rs-3b"})
    data = comparison_to_dict(found)
    assert data["framework_changes"]["added"] == [{"key": "en-5b", "competency": "enlighten"}]
    assert data["framework_changes"]["removed"] == [{"key": "rs-3b", "competency": "respond"}]
    assert {"key": "ld-2a", "competency": "lead", "changes": ["text"]} in data["framework_changes"]["changed"]


def test_it_compares_nothing_when_the_stages_change() -> None:
    def renamed_top_stage(data: dict[str, Any]) -> None:
        data["version"] = "3.0"
        data["stages"][-1]["key"] = "thrive"
        for comp in data["competencies"]:
            for ind in comp["indicators"]:
                if ind.get("stage") == "embed":
                    ind["stage"] = "thrive"
                for option in ind.get("options", []):
                    if option["stage"] == "embed":
                        option["stage"] = "thrive"
        for action in data.get("actions", []):
            if action["from_stage"] == "embed":
                action["from_stage"] = "thrive"

    v3 = edited(FW, renamed_top_stage)
    found = compare(snap(FW, 10, 0.3), snap(v3, 10, 0.8))
    assert {c.verdict for c in found.competencies} == {"not comparable"}
    assert found.competencies[0].reason == "the framework's stages changed, so scores are on different scales"


def test_it_reports_an_identical_version_as_identical() -> None:
    assert diff(FW, FW).identical
    assert compare(snap(FW, 10, 0.5), snap(FW, 10, 0.5, seed=3)).notes == ("Compared 6 of 6 competencies.",)
