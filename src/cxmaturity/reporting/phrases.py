"""The domain's phrases (``i18n.phrase``) as their reader reads them: translated by the catalogs of the active locale,
the framework's things named in the framework's language (``Framework.in_language``).

A plan saved before phrases existed carries only its English sentences; they are shown as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n.phrase import Namer, Phrase, Ref, Text, render
from cxmaturity.planning.model import Initiative, Plan


def namer(fw: Framework) -> Namer:
    """Return how ``fw`` names a thing in its language; a key it does not know keeps the words it had."""
    actions = {a.key: a for a in fw.actions}

    def name(ref: Ref) -> str:
        try:
            if ref.kind == "competency":
                return fw.text(fw.competency(ref.key).name)
            if ref.kind == "stage" and ref.key in fw.stage_keys:
                return fw.text(fw.stages[fw.stage_number(ref.key) - 1].name)
            if ref.kind in ("indicator", "statement"):
                return fw.text(fw.indicator(ref.key).text)
            if ref.kind == "framework" and ref.key == fw.id:
                return fw.text(fw.name)
            if ref.kind == "initiative" and ref.key in actions:
                # The catalog's title in the reader's language, unless the team renamed it (then its own words).
                title = actions[ref.key].title
                wordings = {title} if isinstance(title, str) else set(title.values())
                if ref.text in wordings:
                    return fw.text(title)
        except KeyError:
            pass
        return ref.text

    return name


def text(phrase: Phrase | None, written: str, fw: Framework) -> str:
    """Return ``phrase`` in the active locale, or ``written`` (the stored sentence) when there is no phrase."""
    return written if phrase is None else render(phrase, namer(fw))


def shown(value: Text, name: Namer) -> str:
    """``value`` in the active locale when it is a phrase (framework things named by ``name``), else as written."""
    return render(value, name) if isinstance(value, Phrase) else value


def reason(item: Initiative, fw: Framework) -> str:
    return text(item.reason_phrase, item.reason, fw)


def explanation(plan: Plan, fw: Framework) -> tuple[str, ...]:
    """The plan's explanation sentences in the active locale (as stored for plans saved before phrases existed)."""
    if not plan.explanation_phrases:
        return plan.explanation
    name = namer(fw)
    return tuple(render(p, name) for p in plan.explanation_phrases)


def texts(phrases: Sequence[Phrase], fw: Framework) -> tuple[str, ...]:
    name = namer(fw)
    return tuple(render(p, name) for p in phrases)
