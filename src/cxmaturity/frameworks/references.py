"""Rules that span fields: unique keys, references that resolve, no cycles, evidence for every stage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cxmaturity.frameworks.model import RESERVED_ANSWERS, Framework, Rubric, Statement
from cxmaturity.frameworks.problems import Loc, Problem, format_loc


def _known(keys: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(keys))  # once each, even where a key is (wrongly) defined twice


def _duplicates(items: Sequence[tuple[str, Loc]], what: str) -> list[Problem]:
    seen: dict[str, Loc] = {}
    problems = []
    for key, loc in items:
        if key in seen:
            problems.append(Problem(loc, f"duplicate {what} key '{key}' (first used at {format_loc(seen[key])})"))
        else:
            seen[key] = loc
    return problems


def check_references(fw: Framework) -> list[Problem]:
    """Return every cross-reference error in ``fw``; an empty list means the framework is usable."""
    problems: list[Problem] = []
    stages = fw.stage_keys
    problems += _duplicates([(s.key, ("stages", i, "key")) for i, s in enumerate(fw.stages)], "stage")
    problems += _duplicates([(c.key, ("competencies", i, "key")) for i, c in enumerate(fw.competencies)], "competency")
    problems += _duplicates(
        [
            (ind.key, ("competencies", ci, "indicators", ii, "key"))
            for ci, c in enumerate(fw.competencies)
            for ii, ind in enumerate(c.indicators)
        ],
        "indicator",
    )
    problems += _duplicates([(a.key, ("actions", i, "key")) for i, a in enumerate(fw.actions)], "action")
    problems += _duplicates([(t.key, ("tracks", i, "key")) for i, t in enumerate(fw.tracks)], "track")

    for name, scale in fw.scales.items():
        problems += _duplicates(
            [(o.key, ("scales", name, "options", i, "key")) for i, o in enumerate(scale.options)], "option"
        )
        for i, option in enumerate(scale.options):
            if i and option.value <= scale.options[i - 1].value:
                # Scoring and agreement rely on option order matching value order ("raising an answer").
                problems.append(
                    Problem(
                        ("scales", name, "options", i, "value"),
                        f"values must increase from option to option (list options from lowest "
                        f"to highest); {option.value:g} follows {scale.options[i - 1].value:g}",
                    )
                )
            if option.key in RESERVED_ANSWERS:
                problems.append(
                    Problem(
                        ("scales", name, "options", i, "key"),
                        f"'{option.key}' is reserved for every indicator (dk = don't know, "
                        "na = not applicable); choose another key",
                    )
                )

    for ci in range(len(fw.competencies)):
        problems += _check_competency(fw, ci, stages)
    problems += _check_actions(fw, stages)
    problems += _check_tracks(fw)
    return problems


def _check_tracks(fw: Framework) -> list[Problem]:
    """Tracks split the competencies: each competency in exactly one track, when the framework has any."""
    if not fw.tracks:
        return []
    problems: list[Problem] = []
    competencies = [c.key for c in fw.competencies]
    home: dict[str, tuple[str, Loc]] = {}
    for ti, track in enumerate(fw.tracks):
        for ki, key in enumerate(track.competencies):
            loc: Loc = ("tracks", ti, "competencies", ki)
            if key not in competencies:
                problems.append(Problem(loc, f"unknown competency '{key}' (known: {_known(competencies)})"))
            elif key in home:
                first, first_loc = home[key]
                where = "this track" if first == track.key else f"track '{first}'"
                problems.append(
                    Problem(
                        loc,
                        f"competency '{key}' is already in {where} (at {format_loc(first_loc)}); "
                        "a competency belongs to one track",
                    )
                )
            else:
                home[key] = (track.key, loc)
    for ci, comp in enumerate(fw.competencies):
        if comp.key not in home:
            problems.append(
                Problem(
                    ("competencies", ci, "key"),
                    f"competency '{comp.key}' is in no track (known tracks: {_known(t.key for t in fw.tracks)}); "
                    "when a framework has tracks, every competency belongs to one",
                )
            )
        elif comp.track is not None:
            track = fw.tracks[[t.key for t in fw.tracks].index(home[comp.key][0])]
            if comp.track not in (track.key, fw.text(track.name)):
                problems.append(
                    Problem(
                        ("competencies", ci, "track"),
                        f"the label '{comp.track}' does not name the track that lists this competency "
                        f"('{track.key}'); remove the label or make it '{track.key}'",
                    )
                )
    return problems


def _check_competency(fw: Framework, ci: int, stages: tuple[str, ...]) -> list[Problem]:
    comp = fw.competencies[ci]
    problems: list[Problem] = []
    evidenced: set[str] = set()
    for ii, ind in enumerate(comp.indicators):
        loc: Loc = ("competencies", ci, "indicators", ii)
        if isinstance(ind, Statement):
            if ind.stage not in stages:
                problems.append(Problem((*loc, "stage"), f"unknown stage '{ind.stage}' (known: {_known(stages)})"))
            evidenced.add(ind.stage)
            if ind.scale not in fw.scales:
                known = _known(fw.scales) or "none defined; add a 'scales' section"
                problems.append(Problem((*loc, "scale"), f"unknown scale '{ind.scale}' (known: {known})"))
        else:
            problems += _check_rubric(ind, loc, stages)
            evidenced.update(stages)
    for stage in stages[1:]:
        if stage not in evidenced:
            problems.append(
                Problem(
                    ("competencies", ci, "indicators"),
                    f"no indicator for stage '{stage}' in competency '{comp.key}' "
                    "(every stage above the first needs at least one statement or a rubric)",
                )
            )
    return problems


def _check_rubric(ind: Rubric, loc: Loc, stages: tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for oi, option in enumerate(ind.options):
        if option.stage not in stages:
            problems.append(
                Problem((*loc, "options", oi, "stage"), f"unknown stage '{option.stage}' (known: {_known(stages)})")
            )
        elif option.stage in seen:
            problems.append(
                Problem(
                    (*loc, "options", oi, "stage"), f"stage '{option.stage}' has more than one option in this rubric"
                )
            )
        seen.add(option.stage)
    missing = [s for s in stages if s not in seen]
    if missing:
        problems.append(
            Problem(
                (*loc, "options"),
                f"rubric has no option for stage {_known(repr(m) for m in missing)} "
                "(a rubric needs one option per stage)",
            )
        )
    return problems


def _check_actions(fw: Framework, stages: tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    competencies = [c.key for c in fw.competencies]
    actions = {a.key for a in fw.actions}
    indicators = set(fw.indicator_keys)
    for ai, action in enumerate(fw.actions):
        loc: Loc = ("actions", ai)
        if action.competency not in competencies:
            problems.append(
                Problem(
                    (*loc, "competency"), f"unknown competency '{action.competency}' (known: {_known(competencies)})"
                )
            )
        if action.from_stage not in stages:
            problems.append(
                Problem((*loc, "from_stage"), f"unknown stage '{action.from_stage}' (known: {_known(stages)})")
            )
        elif action.from_stage == stages[-1]:
            problems.append(
                Problem(
                    (*loc, "from_stage"),
                    f"'{action.from_stage}' is the top stage: there is no next stage for this action to reach",
                )
            )
        for ri, required in enumerate(action.requires):
            if required == action.key:
                problems.append(Problem((*loc, "requires", ri), "an action cannot require itself"))
            elif required not in actions:
                problems.append(Problem((*loc, "requires", ri), f"unknown action '{required}'"))
        for ii, indicator in enumerate(action.indicators):
            if indicator not in indicators:
                problems.append(Problem((*loc, "indicators", ii), f"unknown indicator '{indicator}'"))
    problems += _check_cycles(fw)
    return problems


def _check_cycles(fw: Framework) -> list[Problem]:
    """Report each cycle in ``requires`` once, at the action where it was first entered."""
    graph = {a.key: [r for r in a.requires if r != a.key] for a in fw.actions}
    index = {a.key: i for i, a in enumerate(fw.actions)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    problems: list[Problem] = []

    def visit(key: str, path: list[str]) -> None:
        state[key] = 1
        path.append(key)
        for nxt in graph.get(key, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                problems.append(
                    Problem(("actions", index[nxt], "requires"), f"requires forms a cycle: {' -> '.join(cycle)}")
                )
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[key] = 2

    for action in fw.actions:
        if action.key not in state:
            visit(action.key, [])
    return problems
