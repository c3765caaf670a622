"""Plain-text views of a framework: an overview for ``cxm frameworks show`` and a printable questionnaire."""

from __future__ import annotations

from cxmaturity.frameworks.model import DONT_KNOW, NOT_APPLICABLE, Framework, Rubric, Statement, Text


def answer_options(fw: Framework, indicator: Statement | Rubric, language: str | None = None) -> list[tuple[str, str]]:
    """Return (answer key, label) for every option as a respondent sees them: a scale's labels in order, or a
    rubric's descriptions in stage order (don't know and not applicable not included)."""
    if isinstance(indicator, Statement):
        return [(o.key, fw.text(o.label, language)) for o in fw.scales[indicator.scale].options]
    ordered = sorted(indicator.options, key=lambda o: fw.stage_number(o.stage))
    return [(o.stage, fw.text(o.text, language)) for o in ordered]


def describe(fw: Framework, language: str | None = None) -> str:
    """Return a readable overview: stages with behaviors and how to advance, competencies, indicators, actions."""

    def t(value: Text) -> str:
        return fw.text(value, language)

    lines = [f"{t(fw.name)} ({fw.id} {fw.version})", f"Source: {t(fw.source)}", ""]
    if fw.description:
        lines += [t(fw.description), ""]
    lines.append("Stages")
    for number, stage in enumerate(fw.stages, start=1):
        lines.append(f"  {number}. {t(stage.name)} [{stage.key}]" + (f": {t(stage.summary)}" if stage.summary else ""))
        lines += [f"       sees: {t(b)}" for b in stage.behaviors]
        lines += [f"       next: {t(a)}" for a in stage.advance]
    if fw.tracks:
        lines += ["", f"Tracks (rolled up by the overall rule, {fw.scoring.overall})"]
        for group in fw.tracks:
            lines.append(f"  {t(group.name)} [{group.key}]: {', '.join(group.competencies)}")
    lines += ["", "Competencies"]
    for comp in fw.competencies:
        home = fw.track_of(comp.key)
        track = f" (track: {t(home.name)})" if home else (f" (track label: {comp.track})" if comp.track else "")
        lines.append(f"  {t(comp.name)} [{comp.key}] weight {comp.weight:g}{track}")
        for ind in comp.indicators:
            where = f"stage {ind.stage}, scale {ind.scale}" if isinstance(ind, Statement) else "rubric"
            lines.append(f"    - {ind.key} ({where}): {t(ind.text)}")
    lines += ["", f"Actions ({len(fw.actions)})"]
    for action in fw.actions:
        cost = f", cost {action.cost:g}" if action.cost is not None else ""
        lines.append(
            f"  {action.key} [{action.competency}, from {action.from_stage}; effort {action.effort:g} pm"
            f"{cost}, {action.duration} period(s)]: {t(action.title)}"
        )
    lines += ["", f"Scoring: a stage is met at fulfilment >= {fw.scoring.threshold:g}; overall = {fw.scoring.overall}"]
    return "\n".join(lines) + "\n"


def questionnaire_markdown(fw: Framework, language: str | None = None) -> str:
    """Return a printable questionnaire in Markdown, one section per competency."""

    def t(value: Text) -> str:
        return fw.text(value, language)

    out = [
        f"# {t(fw.name)}",
        "",
        f"Framework {fw.id} {fw.version}. {t(fw.source)}",
        "",
        "Answers are anonymous. Tick one box per question; tick *Don't know* or *Not applicable* "
        "when that is the honest answer.",
        "",
    ]
    for number, comp in enumerate(fw.competencies, start=1):
        out += [f"## {number}. {t(comp.name)}", ""]
        if comp.description:
            out += [t(comp.description), ""]
        for ind in comp.indicators:
            out += [f"**{ind.key}.** {t(ind.text)}", ""]
            out += [f"- [ ] {label}" for _, label in answer_options(fw, ind, language)]
            out += [f"- [ ] Don't know ({DONT_KNOW})", f"- [ ] Not applicable ({NOT_APPLICABLE})", ""]
    return "\n".join(out)
