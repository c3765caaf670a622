"""Loading frameworks: every error names its file, line, column and field path, in words an author can act on.

Each test mutates a copy of tests/data/example.yaml and checks the exact messages, because the messages are the
interface a framework author works with.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from cxmaturity.frameworks import FrameworkError, Statement, load_framework, load_framework_text, parse_framework
from cxmaturity.frameworks.yaml_source import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, read_text
from tests.support.timing import timed

EXAMPLE = Path(__file__).parents[1] / "data" / "example.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")

TOP_FIELDS = (
    "format, id, name, version, source, description, language, languages, stages, scales, competencies, tracks, "
    "actions, scoring"
)


def mutate(*changes: tuple[str, str]) -> str:
    """Return the example with each ``(old, new)`` applied; ``old`` must occur once, so a test cannot go stale."""
    text = TEXT
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the example"
        text = text.replace(old, new)
    return text


def errors(text: str) -> list[str]:
    with pytest.raises(FrameworkError) as caught:
        load_framework_text(text, "model.yaml")
    assert caught.value.problems, "a FrameworkError must say what is wrong"
    return [str(problem) for problem in caught.value.problems]


def test_it_loads_the_example() -> None:
    fw = load_framework_text(TEXT, "model.yaml")
    assert fw.id == "example-model"
    assert fw.stage_keys == ("emerging", "learning", "committing")
    assert fw.indicator_keys == ("vs-1", "vs-2", "ci-1", "ci-2")
    assert fw.scoring.threshold == 0.7
    assert fw.scoring.overall == "weakest"
    assert fw.language == "en"


def test_it_reports_an_unknown_stage_in_a_statement() -> None:
    text = mutate(("stage: committing\n        scale: agree5", "stage: comitting\n        scale: agree5"))
    assert errors(text) == [
        "model.yaml:42:16 competencies[0].indicators[1].stage: unknown stage 'comitting' "
        "(known: emerging, learning, committing)",
        # The typo also leaves the competency without evidence for its top stage.
        "model.yaml:34:7 competencies[0].indicators: no indicator for stage 'committing' in competency 'vision' "
        "(every stage above the first needs at least one statement or a rubric)",
    ]


def test_it_reports_an_unknown_scale() -> None:
    text = mutate(
        (
            "stage: learning\n        scale: agree5\n      - key: vs-2",
            "stage: learning\n        scale: agree7\n      - key: vs-2",
        )
    )
    assert errors(text) == [
        "model.yaml:38:16 competencies[0].indicators[0].scale: unknown scale 'agree7' (known: agree5)",
    ]


def test_it_says_how_to_define_a_scale_when_there_is_none() -> None:
    start, end = TEXT.index("scales:\n"), TEXT.index("competencies:\n")
    text = TEXT[:start] + TEXT[end:]
    found = errors(text)
    assert len(found) == 3
    assert found[0] == (
        "model.yaml:30:16 competencies[0].indicators[0].scale: unknown scale 'agree5' "
        "(known: none defined; add a 'scales' section)"
    )


def test_it_suggests_the_field_meant_by_an_unknown_field() -> None:
    text = mutate(("    weight: 2.0\n", "    weigth: 2.0\n"))
    assert errors(text) == [
        "model.yaml:46:5 competencies[1].weigth: unknown field 'weigth'; did you mean 'weight'? "
        "(allowed: key, name, description, track, weight, indicators)",
    ]


def test_it_reports_a_misspelt_required_field_once() -> None:
    text = mutate(("        kind: statement\n        text: We have", "        kind: statement\n        txt: We have"))
    # Not also "missing required field 'text'": the suggestion already says what to do.
    assert errors(text) == [
        "model.yaml:36:9 competencies[0].indicators[0].txt: unknown field 'txt'; did you mean 'text'? "
        "(allowed: kind, key, text, stage, scale, help)",
    ]


def test_it_lists_the_allowed_fields_when_nothing_is_close() -> None:
    text = mutate(("source:", "colour: blue\nsource:"))
    assert errors(text) == [f"model.yaml:5:1 colour: unknown field 'colour' (allowed: {TOP_FIELDS})"]


def test_it_reports_a_duplicate_yaml_key_with_both_lines() -> None:
    text = mutate(('version: "1.0"\n', 'version: "1.0"\nversion: "2.0"\n'))
    assert errors(text) == ["model.yaml:5:1 version: duplicate key 'version' (first defined on line 4)"]


def test_it_reports_a_duplicate_yaml_key_deep_in_the_file() -> None:
    text = mutate(("    weight: 2.0\n", "    weight: 2.0\n    name: Insight\n"))
    assert errors(text) == ["model.yaml:47:5 competencies[1].name: duplicate key 'name' (first defined on line 45)"]


def test_it_reports_a_duplicate_indicator_key() -> None:
    text = mutate(("key: vs-2", "key: vs-1"))
    assert errors(text) == [
        "model.yaml:39:14 competencies[0].indicators[1].key: duplicate indicator key 'vs-1' "
        "(first used at competencies[0].indicators[0].key)",
        "model.yaml:77:18 actions[1].indicators[0]: unknown indicator 'vs-2'",
    ]


def test_it_reports_duplicate_stage_competency_action_and_option_keys() -> None:
    text = mutate(
        ("  - key: learning\n", "  - key: emerging\n"),
        ("  - key: insight\n", "  - key: vision\n"),
        ("  - key: a-insight-2\n", "  - key: a-insight-1\n"),
        ('{key: "3"', '{key: "2"'),
    )
    found = errors(text)
    assert "model.yaml:12:10 stages[1].key: duplicate stage key 'emerging' (first used at stages[0].key)" in found
    assert (
        "model.yaml:44:10 competencies[1].key: duplicate competency key 'vision' (first used at competencies[0].key)"
        in found
    )
    assert "model.yaml:87:10 actions[3].key: duplicate action key 'a-insight-1' (first used at actions[2].key)" in found
    assert (
        "model.yaml:27:15 scales.agree5.options[2].key: duplicate option key '2' (first used at "
        "scales.agree5.options[1].key)" in found
    )


def test_it_reports_a_dangling_requirement() -> None:
    text = mutate(("requires: [a-vision-1]", "requires: [a-vision-9]"))
    assert errors(text) == ["model.yaml:76:16 actions[1].requires[0]: unknown action 'a-vision-9'"]


def test_it_reports_a_cycle_in_requirements_once() -> None:
    text = mutate(
        ("    cost: 5000\n    duration: 1\n", "    cost: 5000\n    duration: 1\n    requires: [a-vision-2]\n")
    )
    assert errors(text) == [
        "model.yaml:68:15 actions[0].requires: requires forms a cycle: a-vision-1 -> a-vision-2 -> a-vision-1",
    ]


def test_it_reports_an_action_that_requires_itself() -> None:
    text = mutate(("requires: [a-vision-1]", "requires: [a-vision-2]"))
    assert errors(text) == ["model.yaml:76:16 actions[1].requires[0]: an action cannot require itself"]


def test_it_reports_a_rubric_without_an_option_for_a_stage() -> None:
    text = mutate(('          - {stage: learning, text: "Surveys run at some touchpoints."}\n', ""))
    assert errors(text) == [
        "model.yaml:52:11 competencies[1].indicators[0].options: rubric has no option for stage 'learning' "
        "(a rubric needs one option per stage)",
    ]


def test_it_reports_a_rubric_with_two_options_for_one_stage() -> None:
    text = mutate(('{stage: learning, text: "Surveys', '{stage: emerging, text: "Surveys'))
    assert errors(text) == [
        "model.yaml:53:21 competencies[1].indicators[0].options[1].stage: stage 'emerging' has more than one option "
        "in this rubric",
        "model.yaml:52:11 competencies[1].indicators[0].options: rubric has no option for stage 'learning' "
        "(a rubric needs one option per stage)",
    ]


def test_it_reports_a_rubric_option_for_an_unknown_stage() -> None:
    text = mutate(('{stage: committing, text: "A listening', '{stage: leading, text: "A listening'))
    assert errors(text) == [
        "model.yaml:54:21 competencies[1].indicators[0].options[2].stage: unknown stage 'leading' "
        "(known: emerging, learning, committing)",
        "model.yaml:52:11 competencies[1].indicators[0].options: rubric has no option for stage 'committing' "
        "(a rubric needs one option per stage)",
    ]


def test_it_reports_a_stage_above_the_first_without_an_indicator() -> None:
    text = mutate(("stage: committing\n        scale: agree5", "stage: learning\n        scale: agree5"))
    assert errors(text) == [
        "model.yaml:34:7 competencies[0].indicators: no indicator for stage 'committing' in competency 'vision' "
        "(every stage above the first needs at least one statement or a rubric)",
    ]


def test_it_reports_a_wrong_format() -> None:
    text = mutate(("format: cx-maturity/framework@1", "format: cx-maturity/framework@2"))
    assert errors(text) == [
        "model.yaml:1:9 format: expected 'cx-maturity/framework@1', got 'cx-maturity/framework@2'",
    ]


def test_it_reports_a_bad_id() -> None:
    text = mutate(("id: example-model", "id: Example_Model"))
    assert errors(text) == [
        "model.yaml:2:5 id: 'Example_Model' is not valid (an id uses lowercase letters, digits and '-')"
    ]


def test_it_reports_a_bad_key() -> None:
    text = mutate(("key: ci-2", "key: ci 2"))
    assert errors(text) == [
        "model.yaml:55:14 competencies[1].indicators[1].key: 'ci 2' is not valid (a key starts with a letter or digit "
        "and uses letters, digits, '-', '_' or '.')",
    ]


def test_it_asks_for_a_version_in_quotes() -> None:
    text = mutate(('version: "1.0"', "version: 1.0"))
    assert errors(text) == ["model.yaml:4:10 version: expected text (put numbers such as versions in quotes), got 1.0"]


def test_it_reports_a_scale_value_out_of_range() -> None:
    text = mutate(("label: Strongly agree, value: 1.0", "label: Strongly agree, value: 1.5"))
    assert errors(text) == ["model.yaml:29:50 scales.agree5.options[4].value: must be at most 1, got 1.5"]


def test_it_reports_scale_values_out_of_order() -> None:
    text = mutate(("label: Neither, value: 0.5", "label: Neither, value: 0.2"))
    assert errors(text) == [
        "model.yaml:27:43 scales.agree5.options[2].value: values must increase from option to option "
        "(list options from lowest to highest); 0.2 follows 0.25",
    ]


def test_it_reserves_the_option_key_dk() -> None:
    text = mutate(('{key: "3", label: Neither', "{key: dk, label: Neither"))
    assert errors(text) == [
        "model.yaml:27:15 scales.agree5.options[2].key: 'dk' is reserved for every indicator "
        "(dk = don't know, na = not applicable); choose another key",
    ]


def test_it_reports_an_action_from_the_top_stage() -> None:
    text = mutate(("from_stage: learning\n    effort: 3", "from_stage: committing\n    effort: 3"))
    assert errors(text) == [
        "model.yaml:73:17 actions[1].from_stage: 'committing' is the top stage: there is no next stage for this "
        "action to reach",
    ]


def test_it_reports_an_action_from_an_unknown_stage() -> None:
    text = mutate(("from_stage: learning\n    effort: 3", "from_stage: lerning\n    effort: 3"))
    assert errors(text) == [
        "model.yaml:73:17 actions[1].from_stage: unknown stage 'lerning' (known: emerging, learning, committing)",
    ]


def test_it_reports_an_unknown_competency_in_an_action() -> None:
    text = mutate(("competency: vision\n    from_stage: emerging", "competency: visoin\n    from_stage: emerging"))
    assert errors(text) == [
        "model.yaml:63:17 actions[0].competency: unknown competency 'visoin' (known: vision, insight)",
    ]


def test_it_reports_an_unknown_indicator_in_an_action() -> None:
    text = mutate(("indicators: [vs-2]", "indicators: [vs-3]"))
    assert errors(text) == ["model.yaml:77:18 actions[1].indicators[0]: unknown indicator 'vs-3'"]


def test_it_reports_a_missing_required_field() -> None:
    text = mutate(('source: "A small model for tests and the worked example in docs/scoring.md."\n', ""))
    assert errors(text) == ["model.yaml:1:1 source: missing required field 'source'"]


def test_it_places_a_missing_field_at_its_mapping() -> None:
    text = mutate(("    title: Write the customer promise\n", ""))
    assert errors(text) == ["model.yaml:61:5 actions[0].title: missing required field 'title'"]


def test_it_reports_a_wrong_kind() -> None:
    text = mutate(("kind: rubric", "kind: rubrik"))
    assert errors(text) == [
        "model.yaml:49:15 competencies[1].indicators[0].kind: unknown kind 'rubrik' (expected statement or rubric)",
    ]


def test_it_reports_a_missing_kind() -> None:
    text = mutate(("        kind: rubric\n", ""))
    assert errors(text) == ["model.yaml:48:9 competencies[1].indicators[0]: missing 'kind' (statement or rubric)"]


def test_it_needs_at_least_three_stages() -> None:
    start, end = TEXT.index("  - key: committing\n"), TEXT.index("scales:\n")
    assert errors(TEXT[:start] + TEXT[end:]) == ["model.yaml:7:3 stages: needs at least 3 items, has 2"]


def test_it_reports_values_of_the_wrong_type_and_range() -> None:
    text = mutate(
        ("duration: 1\n    indicators: [vs-1]", "duration: 1.5\n    indicators: [vs-1]"),
        ("    effort: 2\n    cost: 5000\n", "    effort: -2\n    cost: 5000\n"),
        ("weight: 2.0", "weight: 0"),
        ("actions:\n", "scoring: {threshold: 1.2, overall: max}\nactions:\n"),
    )
    assert errors(text) == [
        "model.yaml:46:13 competencies[1].weight: must be greater than 0, got 0",
        "model.yaml:66:13 actions[0].effort: must be at least 0, got -2",
        "model.yaml:68:15 actions[0].duration: expected a whole number, got 1.5",
        "model.yaml:60:22 scoring.threshold: must be at most 1, got 1.2",
        "model.yaml:60:36 scoring.overall: expected 'weakest', 'mean' or 'median', got 'max'",
    ]


def test_it_accepts_a_text_as_a_language_mapping() -> None:
    text = mutate(("name: Example CX maturity model", "name: {en: Example CX maturity model, de: Beispielmodell}"))
    fw = load_framework_text(text, "model.yaml")
    assert fw.text(fw.name) == "Example CX maturity model"
    assert fw.text(fw.name, "de") == "Beispielmodell"
    assert fw.text(fw.name, "fr") == "Example CX maturity model"


def test_it_reports_one_error_for_a_bad_text() -> None:
    # A text may be a string or a language mapping; only the error for the shape the author chose is useful.
    assert errors(mutate(("name: Example CX maturity model", 'name: ""'))) == ["model.yaml:3:7 name: must not be empty"]
    assert errors(mutate(("name: Example CX maturity model\n", "name:\n"))) == [
        "model.yaml:3:6 name: expected text (put numbers such as versions in quotes), got an empty value",
    ]
    assert errors(mutate(("name: Example CX maturity model", "name: {EN: Example}"))) == [
        "model.yaml:3:12 name.EN: 'EN' is not valid (expected a language code such as en or pt-BR)",
    ]
    assert errors(mutate(("name: Example CX maturity model", "name: {}"))) == [
        "model.yaml:3:7 name: a language mapping needs at least one language, e.g. {en: ...}",
    ]
    assert errors(mutate(("name: Example CX maturity model", "name: {de: ''}"))) == [
        "model.yaml:3:12 name.de: must not be empty",
    ]


def test_it_reports_several_errors_at_once() -> None:
    text = mutate(
        ("id: example-model", "id: Bad Id"),
        ('version: "1.0"', "version: 1"),
        ("    weight: 2.0\n", "    weigth: 2.0\n"),
    )
    with pytest.raises(FrameworkError) as caught:
        load_framework_text(text, "model.yaml")
    expected = [
        "model.yaml:2:5 id: 'Bad Id' is not valid (an id uses lowercase letters, digits and '-')",
        "model.yaml:4:10 version: expected text (put numbers such as versions in quotes), got 1",
        "model.yaml:46:5 competencies[1].weigth: unknown field 'weigth'; did you mean 'weight'? "
        "(allowed: key, name, description, track, weight, indicators)",
    ]
    assert [str(p) for p in caught.value.problems] == expected
    assert str(caught.value) == "\n".join(expected)
    assert [p.path for p in caught.value.problems] == ["id", "version", "competencies[1].weigth"]
    assert {p.severity for p in caught.value.problems} == {"error"}


def test_it_reports_several_reference_errors_at_once() -> None:
    text = mutate(
        ("key: vs-2", "key: vs-1"),
        ("requires: [a-vision-1]", "requires: [a-vision-9]"),
        ("competency: insight\n    from_stage: emerging", "competency: insigth\n    from_stage: emerging"),
    )
    assert errors(text) == [
        "model.yaml:39:14 competencies[0].indicators[1].key: duplicate indicator key 'vs-1' "
        "(first used at competencies[0].indicators[0].key)",
        "model.yaml:76:16 actions[1].requires[0]: unknown action 'a-vision-9'",
        "model.yaml:77:18 actions[1].indicators[0]: unknown indicator 'vs-2'",
        "model.yaml:81:17 actions[2].competency: unknown competency 'insigth' (known: vision, insight)",
    ]


def test_it_reports_a_yaml_syntax_error() -> None:
    text = mutate(("name: Example CX maturity model", "name: [Example CX"))
    assert errors(text) == ["model.yaml:4:8 YAML syntax error: did not find expected ',' or ']'"]


def test_it_reports_a_tab_in_the_indentation() -> None:
    text = mutate(("    weight: 2.0\n", "\tweight: 2.0\n"))
    assert errors(text) == ["model.yaml:46:1 YAML syntax error: found a tab character that violates indentation"]


def test_it_wants_a_mapping_at_the_top() -> None:
    expected = ["model.yaml:1:1 expected a mapping of framework fields (format, id, name, stages, ...)"]
    assert errors("- format: cx-maturity/framework@1\n- id: x\n") == expected
    assert errors("") == expected
    assert errors("just some text\n") == expected


def test_it_rejects_more_than_one_document() -> None:
    assert errors(TEXT + "---\nid: other\n") == ["model.yaml:97:1 YAML syntax error: but found another document"]


def test_it_rejects_unknown_yaml_tags_and_merge_keys() -> None:
    assert errors(mutate(("id: example-model", "id: !shell example-model"))) == [
        "model.yaml:2:5 unsupported YAML tag '!shell'",
    ]
    text = mutate(("    effort: 6\n", "    <<: {effort: 6}\n"))
    assert errors(text) == [
        "model.yaml:91:5 actions[3]: YAML merge keys ('<<') are not supported; write the fields out",
    ]


def test_it_keeps_yes_and_no_as_text() -> None:
    # YAML 1.1 would read these as booleans and reject the labels and keys of a yes/no scale.
    scale = "  yes-no:\n    options: [{key: no, label: No, value: 0}, {key: yes, label: Yes, value: 1}]\n"
    text = mutate(
        ("competencies:\n", scale + "competencies:\n"), ("scale: agree5\nactions:", "scale: yes-no\nactions:")
    )
    fw = load_framework_text(text, "model.yaml")
    assert [(o.key, o.label) for o in fw.scales["yes-no"].options] == [("no", "No"), ("yes", "Yes")]


def test_it_accepts_anchors_and_aliases() -> None:
    text = mutate(
        ("  agree5:\n    options:\n", "  agree5:\n    options: &agree\n"),
        ("competencies:\n", "  agree5-copy:\n    options: *agree\ncompetencies:\n"),
        ("stage: learning\n        scale: agree5\nactions:", "stage: learning\n        scale: agree5-copy\nactions:"),
    )
    fw = load_framework_text(text, "model.yaml")
    assert fw.scales["agree5-copy"] == fw.scales["agree5"]


def test_it_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    raw = TEXT.encode("utf-8").replace(b"name: Emerging\n", b"name: Emerg\xe9ing\n")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(raw)
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    offset = raw.index(b"\xe9")
    assert str(caught.value) == f"{path}:8:1 not UTF-8 text (byte {offset})"


def test_it_refuses_a_control_character_written_as_an_escape() -> None:
    # YAML refuses a raw control character but takes one written as an escape in a double-quoted string: a name
    # with "\e[31m" in it drove the terminal that `cxm score` printed it on, and broke the slides that wrote it.
    assert errors(mutate(("name: Emerging\n", 'name: "Emer\\e[31mging"\n'))) == [
        "model.yaml:8:11 stages[0].name: contains the control character U+001B; a framework's texts hold printable "
        "characters only",
    ]
    fw = load_framework_text(mutate(("name: Emerging\n", 'name: "Emer\\tging\\u00e9"\n')), "model.yaml")
    assert fw.stages[0].name == "Emer\tgingé"  # a tab and any printable character are text


def test_it_names_a_number_of_thousands_of_digits() -> None:
    # The interpreter refuses to convert it (a ValueError about sys.set_int_max_str_digits): an unexpected error.
    assert errors(mutate(("    effort: 6\n", "    effort: " + "6" * 5000 + "\n"))) == [
        "model.yaml:91:13 a number has more than 4300 digits",
    ]


def test_it_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert load_framework(path).id == "example-model"


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    assert str(caught.value) == f"{path}:1:1 cannot read file: No such file or directory"


def test_it_validates_plain_data_without_positions() -> None:
    data, _ = read_text(mutate(('version: "1.0"', "version: 1.0")))
    with pytest.raises(FrameworkError) as caught:
        parse_framework(data)
    assert str(caught.value) == "version: expected text (put numbers such as versions in quotes), got 1.0"


def split_example(folder: Path) -> tuple[Path, Path]:
    """Write the example as two files: the model with its first competency, then the second competency and actions."""
    cut = TEXT.index("  - key: insight\n")
    first, second = folder / "10-model.yaml", folder / "20-more.yaml"
    first.write_text(TEXT[:cut], encoding="utf-8")
    second.write_text("competencies:\n" + TEXT[cut:], encoding="utf-8")
    return first, second


def test_it_loads_a_folder_of_files(tmp_path: Path) -> None:
    split_example(tmp_path)
    assert load_framework(tmp_path) == load_framework_text(TEXT)


def test_it_names_the_file_of_an_error_in_a_folder(tmp_path: Path) -> None:
    _, second = split_example(tmp_path)
    second.write_text(second.read_text().replace("    weight: 2.0\n", "    weigth: 2.0\n"), encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(tmp_path)
    # The second file's competency is competencies[1] of the merged framework, found on line 4 of its own file.
    assert str(caught.value) == (
        f"{second}:4:5 competencies[1].weigth: unknown field 'weigth'; did you mean 'weight'? "
        "(allowed: key, name, description, track, weight, indicators)"
    )


def test_it_places_reference_errors_in_the_right_file(tmp_path: Path) -> None:
    first, second = split_example(tmp_path)
    first.write_text(first.read_text().replace("stage: committing\n", "stage: comitting\n"), encoding="utf-8")
    second.write_text(second.read_text().replace("indicators: [vs-2]", "indicators: [vs-9]"), encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{first}:42:16 competencies[0].indicators[1].stage: unknown stage 'comitting' "
        "(known: emerging, learning, committing)",
        f"{first}:34:7 competencies[0].indicators: no indicator for stage 'committing' in competency 'vision' "
        "(every stage above the first needs at least one statement or a rubric)",
        f"{second}:35:18 actions[1].indicators[0]: unknown indicator 'vs-9'",
    ]


def test_it_rejects_a_key_defined_in_two_files_of_a_folder(tmp_path: Path) -> None:
    _, second = split_example(tmp_path)
    second.write_text('version: "2.0"\n' + second.read_text(), encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(tmp_path)
    assert str(caught.value) == f"{second}:1:1 version: already defined in 10-model.yaml"


def test_it_rejects_a_scale_defined_in_two_files_of_a_folder(tmp_path: Path) -> None:
    _, second = split_example(tmp_path)
    scale = "scales:\n  agree5:\n    options: [{key: n, label: No, value: 0}, {key: y, label: Yes, value: 1}]\n"
    second.write_text(scale + second.read_text(), encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(tmp_path)
    assert str(caught.value) == f"{second}:2:3 scales.agree5: 'agree5' is already defined in 10-model.yaml"


def test_it_merges_scales_from_several_files(tmp_path: Path) -> None:
    _, second = split_example(tmp_path)
    scale = "scales:\n  yes-no:\n    options: [{key: n, label: No, value: 0}, {key: y, label: Yes, value: 1}]\n"
    second.write_text(scale + second.read_text().replace("scale: agree5", "scale: yes-no"), encoding="utf-8")
    fw = load_framework(tmp_path)
    assert list(fw.scales) == ["agree5", "yes-no"]
    indicator = fw.indicator("ci-2")
    assert isinstance(indicator, Statement)
    assert indicator.scale == "yes-no"


def test_it_rejects_a_folder_without_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a framework", encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(tmp_path)
    assert str(caught.value) == f"{tmp_path}:1:1 folder holds no .yaml files"


@timed
def test_it_stops_an_alias_bomb_quickly_and_in_little_memory() -> None:
    # "Billion laughs": nine levels of nine aliases each would expand to 9**9 values.
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    text = "\n".join(lines) + "\n"
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FrameworkError) as caught:
            load_framework_text(text, "bomb.yaml")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [problem] = caught.value.problems
    assert problem.message == f"the file holds more than {MAX_NODES} values (aliases included); is it a framework?"
    assert elapsed < 3.0
    assert peak < 100 * 1024 * 1024


def test_it_refuses_values_nested_too_deeply() -> None:
    # Deep enough to crash the C parser's recursion (and to exceed Python's recursion limit) without the guard.
    depth = 200_000
    [problem] = errors("a: " + "[" * depth + "]" * depth + "\n")
    assert problem == f"model.yaml:1:{MAX_DEPTH + 3} nested more than {MAX_DEPTH} levels deep"


def test_it_refuses_a_self_referencing_alias() -> None:
    [problem] = errors("a: &a [*a]\n")
    assert problem.endswith(f"nested more than {MAX_DEPTH} levels deep")


def test_it_refuses_a_file_that_is_too_large() -> None:
    assert errors("#" * (MAX_FILE_BYTES + 1)) == ["model.yaml:1:1 file is larger than 5 MiB"]
