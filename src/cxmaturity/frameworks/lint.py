"""Design advice for framework authors, after the maturity-model design literature.

Pöppelbuß & Röglinger (2011) and de Bruin et al. (2005) ask that each level be described well enough for different
assessors to apply it alike, and that each level come with improvement measures. These checks turn that advice into
warnings; none of them stops a framework from being used.
"""

from __future__ import annotations

from cxmaturity.frameworks.model import Framework, Statement
from cxmaturity.frameworks.problems import Problem
from cxmaturity.frameworks.yaml_source import SourceMap

#: Rough reading-and-answering times used to estimate how long a respondent needs.
SECONDS_PER_STATEMENT = 15
SECONDS_PER_RUBRIC = 40
MAX_MINUTES = 25


def estimated_minutes(fw: Framework) -> float:
    """Return an estimate of the minutes one respondent needs to answer every indicator."""
    seconds = sum(SECONDS_PER_STATEMENT if isinstance(i, Statement) else SECONDS_PER_RUBRIC for _, i in fw.indicators)
    return seconds / 60


def _single_evidence(fw: Framework, ci: int) -> list[tuple[tuple[str | int, ...], str]]:
    """Warn for each stage above the first that rests on one indicator in competency ``ci``.

    A rubric evidences every stage, a statement its own; a stage with one indicator turns on one question's answers,
    so a single misread question moves the stage. (A competency with one indicator already has its own warning.)
    """
    comp = fw.competencies[ci]
    out: list[tuple[tuple[str | int, ...], str]] = []
    for stage in fw.stages[1:]:
        evidence = [i for i in comp.indicators if not isinstance(i, Statement) or i.stage == stage.key]
        if len(evidence) == 1:
            out.append(
                (
                    ("competencies", ci, "indicators"),
                    f"stage '{stage.key}' of competency '{comp.key}' rests on a single indicator "
                    f"('{evidence[0].key}'); add a statement about it or a rubric",
                )
            )
    return out


def lint_framework(fw: Framework, source_map: SourceMap | None = None) -> list[Problem]:
    """Return design warnings for a valid framework."""
    warnings: list[tuple[tuple[str | int, ...], str]] = []
    top = len(fw.stages) - 1
    for si, stage in enumerate(fw.stages):
        if stage.summary is None:
            warnings.append((("stages", si), f"stage '{stage.key}' has no summary"))
        if not stage.behaviors:
            warnings.append((("stages", si), f"stage '{stage.key}' lists no behaviors (what one sees at this stage)"))
        if si < top and not stage.advance:
            warnings.append((("stages", si), f"stage '{stage.key}' does not say how to advance to the next stage"))

    used_scales: set[str] = set()
    for ci, comp in enumerate(fw.competencies):
        if len(comp.indicators) < 2:
            warnings.append(
                (
                    ("competencies", ci, "indicators"),
                    f"competency '{comp.key}' has fewer than 2 indicators; one answer is a thin basis",
                )
            )
        if comp.description is None:
            warnings.append((("competencies", ci), f"competency '{comp.key}' has no description"))
        if comp.track is not None and not fw.tracks:
            warnings.append(
                (
                    ("competencies", ci, "track"),
                    f"competency '{comp.key}' has the track label '{comp.track}' but the framework declares no "
                    "tracks; add a 'tracks' section for results per track",
                )
            )
        if len(comp.indicators) >= 2:
            warnings += _single_evidence(fw, ci)
        for ii, ind in enumerate(comp.indicators):
            if isinstance(ind, Statement):
                used_scales.add(ind.scale)
                if ind.stage == fw.stage_keys[0]:
                    warnings.append(
                        (
                            ("competencies", ci, "indicators", ii, "stage"),
                            "a statement about the first stage changes no stage or score; point it at a higher stage",
                        )
                    )
        for si, stage in enumerate(fw.stages[:-1]):
            if not any(a.competency == comp.key and a.from_stage == stage.key for a in fw.actions):
                nxt = fw.stages[si + 1].key
                warnings.append(
                    (
                        ("competencies", ci),
                        f"no action helps competency '{comp.key}' move from '{stage.key}' to '{nxt}'",
                    )
                )

    for name in fw.scales:
        if name not in used_scales:
            warnings.append((("scales", name), f"scale '{name}' is not used by any indicator"))

    for ai, action in enumerate(fw.actions):
        if action.measure is None:
            warnings.append((("actions", ai), f"action '{action.key}' has no measure of success"))
        if action.description is None:
            warnings.append((("actions", ai), f"action '{action.key}' has no description"))

    minutes = estimated_minutes(fw)
    if minutes > MAX_MINUTES:
        warnings.append(
            (
                ("competencies",),
                f"a respondent needs about {minutes:.0f} minutes; keep a survey under {MAX_MINUTES} minutes",
            )
        )
    source_map = source_map or SourceMap()
    return [Problem(loc, msg, "warning", source_map.find(loc)) for loc, msg in warnings]
