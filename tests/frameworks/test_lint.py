"""Design warnings: each rule fires on a framework that breaks it, with its position and exact advice."""

from __future__ import annotations

from pathlib import Path

from cxmaturity.frameworks import Problem, lint_framework, load_framework_text, parse_framework
from cxmaturity.frameworks.lint import MAX_MINUTES, estimated_minutes
from cxmaturity.frameworks.yaml_source import read_text

EXAMPLE = Path(__file__).parents[1] / "data" / "example.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")

# The example leaves out descriptions; with them it draws no warning, so each test sees only the rule it breaks.
CLEAN = (
    TEXT.replace(
        "    name: Vision and strategy\n", "    name: Vision and strategy\n    description: Where CX is headed.\n"
    )
    .replace("    name: Customer insight\n", "    name: Customer insight\n    description: What customers tell us.\n")
    .replace("    title: ", "    description: Why and how.\n    title: ")
)


def mutate(*changes: tuple[str, str]) -> str:
    """Return the clean example with each ``(old, new)`` applied; ``old`` must occur once."""
    text = CLEAN
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the example"
        text = text.replace(old, new)
    return text


def lint(text: str) -> list[Problem]:
    data, source_map = read_text(text, "model.yaml")
    return lint_framework(parse_framework(data, source_map), source_map)


#: The example rests several stages on a single indicator (it stays small for the worked example in
#: docs/scoring.md); tests of the other rules leave that rule's warnings out, and its own tests below check it.
SINGLE = "rests on a single indicator"


def warnings(text: str, *, single: bool = False) -> list[str]:
    return [str(problem) for problem in lint(text) if single or SINGLE not in problem.message]


def _statement(key: str, stage: str) -> str:
    return f"      - {{key: {key}, kind: statement, text: Another statement., stage: {stage}, scale: agree5}}\n"


#: The clean example with a second indicator for every stage that had one.
COMPLETE = (
    CLEAN.replace(
        "      - key: vs-2\n",
        _statement("vs-1b", "learning") + _statement("vs-2b", "committing") + "      - key: vs-2\n",
    )
    .replace("  - key: insight\n", "  - key: insight\n")
    .replace("actions:\n", _statement("ci-3", "committing") + "actions:\n", 1)
)


def test_it_has_no_advice_for_a_complete_framework() -> None:
    assert warnings(COMPLETE, single=True) == []


def test_it_warns_about_each_stage_that_rests_on_a_single_indicator() -> None:
    assert warnings(CLEAN, single=True) == [
        "model.yaml:35:7 competencies[0].indicators: warning: stage 'learning' of competency 'vision' rests on a "
        "single indicator ('vs-1'); add a statement about it or a rubric",
        "model.yaml:35:7 competencies[0].indicators: warning: stage 'committing' of competency 'vision' rests on a "
        "single indicator ('vs-2'); add a statement about it or a rubric",
        "model.yaml:50:7 competencies[1].indicators: warning: stage 'committing' of competency 'insight' rests on "
        "a single indicator ('ci-1'); add a statement about it or a rubric",
    ]


def test_it_counts_a_rubric_as_evidence_for_every_stage() -> None:
    # ci-1 (a rubric) and ci-2 (about learning) give learning two indicators; a second rubric gives committing two.
    rubric = (
        "      - key: ci-r2\n        kind: rubric\n        text: Which describes how you act on feedback?\n"
        "        options:\n          - {stage: emerging, text: Rarely.}\n"
        "          - {stage: learning, text: Sometimes.}\n          - {stage: committing, text: Always.}\n"
    )
    text = COMPLETE.replace(_statement("ci-3", "committing"), rubric)
    assert warnings(text, single=True) == []


def test_it_warns_about_a_track_label_without_tracks() -> None:
    text = mutate(("    weight: 2.0\n", "    weight: 2.0\n    track: Insight\n"))
    assert warnings(text) == [
        "model.yaml:49:12 competencies[1].track: warning: competency 'insight' has the track label 'Insight' but "
        "the framework declares no tracks; add a 'tracks' section for results per track",
    ]


def test_it_warns_about_missing_descriptions_of_competencies_and_actions() -> None:
    assert warnings(TEXT) == [
        "model.yaml:31:5 competencies[0]: warning: competency 'vision' has no description",
        "model.yaml:44:5 competencies[1]: warning: competency 'insight' has no description",
        "model.yaml:61:5 actions[0]: warning: action 'a-vision-1' has no description",
        "model.yaml:70:5 actions[1]: warning: action 'a-vision-2' has no description",
        "model.yaml:79:5 actions[2]: warning: action 'a-insight-1' has no description",
        "model.yaml:87:5 actions[3]: warning: action 'a-insight-2' has no description",
    ]


def test_it_gives_warnings_as_problems_of_severity_warning() -> None:
    found = lint(mutate(("    summary: CX depends on a few enthusiasts.\n", "")))
    [problem] = [p for p in found if SINGLE not in p.message]
    assert problem.severity == "warning"
    assert problem.path == "stages[0]"
    assert problem.message == "stage 'emerging' has no summary"


def test_it_warns_about_a_stage_without_summary_behaviors_or_advance() -> None:
    text = mutate(
        ("    summary: Teams experiment and measure at touchpoints.\n", ""),
        ('    behaviors: ["Journey maps exist for key journeys."]\n', ""),
        ('    advance: ["Give CX an owner and a budget."]\n', ""),
    )
    assert warnings(text) == [
        "model.yaml:12:5 stages[1]: warning: stage 'learning' has no summary",
        "model.yaml:12:5 stages[1]: warning: stage 'learning' lists no behaviors (what one sees at this stage)",
        "model.yaml:12:5 stages[1]: warning: stage 'learning' does not say how to advance to the next stage",
    ]


def test_it_does_not_ask_the_top_stage_how_to_advance() -> None:
    assert warnings(mutate(('    advance: ["Link CX measures to financial results."]\n', ""))) == []


def test_it_warns_about_a_competency_with_a_single_indicator() -> None:
    start = CLEAN.index("      - key: ci-2\n")
    end = CLEAN.index("actions:\n")
    text = (CLEAN[:start] + CLEAN[end:]).replace("indicators: [ci-1, ci-2]", "indicators: [ci-1]")
    assert warnings(text) == [
        "model.yaml:50:7 competencies[1].indicators: warning: competency 'insight' has fewer than 2 indicators; "
        "one answer is a thin basis",
    ]


def test_it_warns_about_a_statement_on_the_first_stage() -> None:
    statement = (
        "      - key: vs-0\n        kind: statement\n        text: Someone cares about customers.\n"
        "        stage: emerging\n        scale: agree5\n"
    )
    text = mutate(("      - key: vs-2\n", statement + "      - key: vs-2\n"))
    assert warnings(text) == [
        "model.yaml:43:16 competencies[0].indicators[1].stage: warning: a statement about the first stage changes "
        "no stage or score; point it at a higher stage",
    ]


def test_it_warns_about_a_stage_transition_without_an_action() -> None:
    start = CLEAN.index("  - key: a-vision-2\n")
    end = CLEAN.index("  - key: a-insight-1\n")
    assert warnings(CLEAN[:start] + CLEAN[end:]) == [
        "model.yaml:31:5 competencies[0]: warning: no action helps competency 'vision' move from 'learning' to "
        "'committing'",
    ]


def test_it_warns_about_an_unused_scale() -> None:
    scale = "  yes-no:\n    options: [{key: n, label: No, value: 0}, {key: y, label: Yes, value: 1}]\n"
    assert warnings(mutate(("competencies:\n", scale + "competencies:\n"))) == [
        "model.yaml:31:5 scales.yes-no: warning: scale 'yes-no' is not used by any indicator",
    ]


def test_it_warns_about_an_action_without_a_measure() -> None:
    assert warnings(mutate(("    measure: Responses arrive every week.\n", ""))) == [
        "model.yaml:83:5 actions[2]: warning: action 'a-insight-1' has no measure of success",
    ]


def test_it_estimates_how_long_a_respondent_needs() -> None:
    # Three statements at 15 s and one rubric at 40 s.
    assert estimated_minutes(load_framework_text(CLEAN)) == (3 * 15 + 40) / 60


def test_it_warns_about_a_survey_that_takes_too_long() -> None:
    extra = "".join(
        f"      - {{key: vs-x{n}, kind: statement, text: Statement {n}., stage: committing, scale: agree5}}\n"
        for n in range(100)
    )
    text = mutate(("      - key: vs-2\n", extra + "      - key: vs-2\n"))
    minutes = (103 * 15 + 40) / 60
    assert minutes > MAX_MINUTES
    assert warnings(text) == [
        f"model.yaml:31:3 competencies: warning: a respondent needs about {minutes:.0f} minutes; "
        f"keep a survey under {MAX_MINUTES} minutes",
    ]


def test_it_gives_warnings_without_positions_when_there_is_no_source_map() -> None:
    fw = load_framework_text(mutate(("    measure: Responses arrive every week.\n", "")))
    assert [str(p) for p in lint_framework(fw) if SINGLE not in p.message] == [
        "actions[2]: warning: action 'a-insight-1' has no measure of success",
    ]


def test_it_has_no_advice_for_the_annotated_example_in_the_docs() -> None:
    # docs/framework-format.md promises that its complete example passes `lint --strict`.
    doc = (Path(__file__).parents[2] / "docs" / "framework-format.md").read_text(encoding="utf-8")
    section = doc[doc.index("## A complete annotated example") :]
    start = section.index("```yaml\n") + len("```yaml\n")
    example = section[start : section.index("```\n", start)]
    assert warnings(example, single=True) == []
    assert set(load_framework_text(TEXT).indicator_keys) <= set(load_framework_text(example).indicator_keys)
