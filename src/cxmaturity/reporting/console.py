"""A result as text tables for the terminal (rich), for ``cxm score`` and ``cxm demo``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cxmaturity.frameworks.model import Framework
from cxmaturity.scoring.display import NOT_ASSESSED, not_assessed_note, score_text
from cxmaturity.scoring.result import Result

MAX_DISCUSSION_ITEMS = 8


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_result(result: Result, fw: Framework, console: Console, *, title: str | None = None) -> None:
    """Print the overall result, competencies, discussion items, groups, blind spots and gaps."""
    stage_name = {s.key: fw.text(s.name) for s in fw.stages}
    comp_name = {c.key: fw.text(c.name) for c in fw.competencies}
    o = result.overall
    interval = f" (90% interval {o.interval[0]:.2f}-{o.interval[1]:.2f})" if o.interval else ""
    console.print(f"[bold]{title or fw.text(fw.name)}[/bold]")
    excluded = (
        f" ({result.excluded_respondents} more answered only don't know or not applicable and are not counted)"
        if result.excluded_respondents
        else ""
    )
    console.print(
        f"{result.respondents} respondents{excluded}; coverage {result.coverage:.0%}"
        + (" [red](low)[/red]" if result.low_coverage else "")
    )
    if o.stage is None:
        console.print(f"Overall ({o.rule}): {NOT_ASSESSED} (no usable answer)")
    else:
        console.print(f"Overall ({o.rule}): [bold]{stage_name[o.stage]}[/bold], score {score_text(o.score)}{interval}")
    note = not_assessed_note(comp_name[k] for k in result.not_assessed)
    if note:
        console.print(note, markup=False)

    table = Table(
        "competency", "stage", "score", "90% interval", "P(stage)", "coverage", "rwg(j)", title="Competencies"
    )
    for c in result.competencies:
        prob = c.stage_probabilities.get(c.stage) if c.stage is not None else None
        table.add_row(
            comp_name[c.key],
            stage_name[c.stage] if c.stage is not None else NOT_ASSESSED,
            score_text(c.score),
            f"{c.interval[0]:.2f}-{c.interval[1]:.2f}" if c.interval else "-",
            "-" if prob is None else f"{prob:.0%}",
            f"{c.coverage:.0%}" + (" low" if c.low_coverage else ""),
            _num(c.agreement.rwg) + (" polarised" if c.agreement.polarised else ""),
        )
    console.print(table)
    if result.tracks:
        names = {t.key: fw.text(t.name) for t in fw.tracks}
        tracks = Table("track", "competencies", "stage", "score", "90% interval", "P(stage)", title="Tracks")
        for t in result.tracks:
            prob = t.stage_probabilities.get(t.stage) if t.stage is not None else None
            tracks.add_row(
                names.get(t.key, t.key),
                ", ".join(comp_name.get(k, k) for k in t.competencies),
                stage_name[t.stage] if t.stage is not None else NOT_ASSESSED,
                score_text(t.score),
                f"{t.interval[0]:.2f}-{t.interval[1]:.2f}" if t.interval else "-",
                "-" if prob is None else f"{prob:.0%}",
            )
        console.print(tracks)
    console.print(
        f"Weakest: {', '.join(comp_name[k] for k in result.weakest)}; "
        f"strongest: {', '.join(comp_name[k] for k in result.strongest)}"
    )

    if result.discussion_items:
        items = Table("indicator", "competency", "rwg", "AD", "answers", title="Discussion items (most disputed first)")
        for d in result.discussion_items[:MAX_DISCUSSION_ITEMS]:
            spread = " ".join(f"{k}:{v}" for k, v in d.distribution.items() if v)
            rwg = f"{d.rwg:.2f}" + (" polarised" if d.polarised else "")
            items.add_row(d.indicator, comp_name[d.competency], rwg, f"{d.ad:.2f}", spread)
        console.print(items)
    else:
        console.print("No discussion items: the team agrees on every indicator.")

    if result.groups:
        groups = Table("group", "n", "overall", *[comp_name[c.key] for c in result.competencies], title="Groups")
        for g in result.groups:
            groups.add_row(
                g.group,
                str(g.respondents),
                score_text(g.overall_score),
                *[score_text(gc.score) for gc in g.competencies],
            )
        console.print(groups)
    if result.withheld_groups:
        console.print(
            f"{result.withheld_groups} group(s) withheld: fewer than {result.options.min_group_size} respondents, "
            "or shown they would single out the few left over."
        )
    for spot in result.blind_spots:
        console.print(
            f"Blind spot: {spot.group} rates {comp_name[spot.competency]} {spot.difference:.2f} higher "
            f"than everyone else ({score_text(spot.group_score)} vs {score_text(spot.others_score)})."
        )
    if result.gaps:
        gaps = Table(
            "competency",
            "score",
            "target",
            "gap",
            "priority",
            title="Gaps to target (what holds the overall back first, then by priority)",
        )
        for gap in result.gaps:
            gaps.add_row(
                comp_name[gap.competency] + (" (holds the overall back)" if gap.holds_back else ""),
                score_text(gap.score),
                stage_name[gap.target],
                f"{gap.gap:.2f}",
                f"{gap.priority:.2f}",
            )
        console.print(gaps)
