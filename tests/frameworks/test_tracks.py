"""Tracks: competencies grouped for a result of their own; every mistake is named with its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxmaturity.frameworks import FrameworkError, load_builtin, load_framework_text

TEXT = (Path(__file__).parents[1] / "data" / "example.yaml").read_text(encoding="utf-8")


def with_tracks(tracks: str, text: str = TEXT) -> str:
    return text.replace("actions:\n", "tracks:\n" + tracks + "actions:\n", 1)


def errors(text: str) -> list[str]:
    with pytest.raises(FrameworkError) as caught:
        load_framework_text(text, "model.yaml")
    return [str(p) for p in caught.value.problems]


TWO = (
    "  - {key: direction, name: Direction, competencies: [vision]}\n"
    "  - {key: listening, name: Listening, competencies: [insight]}\n"
)


def test_it_loads_tracks_and_finds_a_competencys_track() -> None:
    fw = load_framework_text(with_tracks(TWO))
    assert [t.key for t in fw.tracks] == ["direction", "listening"]
    track = fw.track_of("insight")
    assert track is not None
    assert track.key == "listening"


def test_it_has_no_tracks_unless_the_framework_declares_them() -> None:
    fw = load_framework_text(TEXT)
    assert fw.tracks == ()
    assert fw.track_of("insight") is None


def test_it_reports_a_track_naming_an_unknown_competency() -> None:
    text = with_tracks(TWO.replace("competencies: [insight]", "competencies: [insight, insigth]"))
    assert errors(text) == [
        "model.yaml:62:63 tracks[1].competencies[1]: unknown competency 'insigth' (known: vision, insight)",
    ]


def test_it_reports_a_competency_in_two_tracks() -> None:
    text = with_tracks(TWO.replace("competencies: [insight]", "competencies: [insight, vision]"))
    assert errors(text) == [
        "model.yaml:62:63 tracks[1].competencies[1]: competency 'vision' is already in track 'direction' "
        "(at tracks[0].competencies[0]); a competency belongs to one track",
    ]


def test_it_reports_a_competency_listed_twice_in_one_track() -> None:
    text = with_tracks("  - {key: all, name: All, competencies: [vision, insight, vision]}\n")
    assert errors(text) == [
        "model.yaml:61:59 tracks[0].competencies[2]: competency 'vision' is already in this track "
        "(at tracks[0].competencies[0]); a competency belongs to one track",
    ]


def test_it_reports_a_competency_in_no_track() -> None:
    text = with_tracks("  - {key: direction, name: Direction, competencies: [vision]}\n")
    assert errors(text) == [
        "model.yaml:44:10 competencies[1].key: competency 'insight' is in no track (known tracks: direction); "
        "when a framework has tracks, every competency belongs to one",
    ]


def test_it_reports_duplicate_track_keys() -> None:
    text = with_tracks(TWO.replace("key: listening", "key: direction"))
    assert errors(text) == [
        "model.yaml:62:11 tracks[1].key: duplicate track key 'direction' (first used at tracks[0].key)",
    ]


def test_it_reports_an_empty_track() -> None:
    text = with_tracks(TWO + "  - {key: empty, name: Empty, competencies: []}\n")
    assert errors(text) == ["model.yaml:63:45 tracks[2].competencies: needs at least 1 item, has 0"]


def test_it_reports_a_track_label_that_names_another_track() -> None:
    text = with_tracks(TWO, TEXT.replace("    weight: 2.0\n", "    weight: 2.0\n    track: direction\n"))
    assert errors(text) == [
        "model.yaml:47:12 competencies[1].track: the label 'direction' does not name the track that lists this "
        "competency ('listening'); remove the label or make it 'listening'",
    ]


def test_it_accepts_a_track_label_that_names_its_own_track() -> None:
    text = with_tracks(TWO, TEXT.replace("    weight: 2.0\n", "    weight: 2.0\n    track: Listening\n"))
    assert load_framework_text(text).competency("insight").track == "Listening"


def test_yohns_framework_has_her_three_development_tracks() -> None:
    fw = load_builtin("yohn-cx-maturity")
    assert [(fw.text(t.name), t.competencies) for t in fw.tracks] == [
        ("Vision and Strategy", ("vision-strategy",)),
        ("Leadership and Alignment", ("leadership-alignment",)),
        ("Organizational Readiness", ("customer-intimacy", "employee-engagement", "skills", "systems-processes")),
    ]
