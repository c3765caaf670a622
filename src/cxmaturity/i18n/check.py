"""Checks of the gettext catalogs: placeholders that match their msgid, complete catalogs where they must be, French
typography, and compiled ``.mo`` files that match their ``.po`` source.

A translation whose ``%(name)s`` placeholders differ from the English text's would fail (a placeholder the code does
not supply raises when the text is formatted) or silently drop a value (one left out); both are refused here, by the
test suite and by ``cxm translations check``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from cxmaturity.i18n.catalogs import DEFAULT_LOCALE, DOMAIN, LOCALE_DIR, LOCALES

#: Texts from these sources must be translated in every language of ``LOCALES``: what respondents, people answering
#: a quick evaluation and readers of the executive report see, the error pages anyone may meet, and the facilitator's
#: pages translated so far (results, assessment overview, mail, audit log, frameworks, benchmarks). The facilitator's
#: other pages may be partly translated (they fall back to English).
COMPLETE_SOURCES = (
    "src/cxmaturity/web/templates/respond_",
    "src/cxmaturity/web/templates/form_errors.html",
    "src/cxmaturity/web/templates/error.html",
    "src/cxmaturity/web/templates/quick.html",
    "src/cxmaturity/web/templates/quick_index.html",
    "src/cxmaturity/web/templates/quick_result.html",
    "src/cxmaturity/web/templates/plan.html",
    "src/cxmaturity/web/templates/plan_metrics.html",
    "src/cxmaturity/web/pages/plans.py",
    "src/cxmaturity/web/templates/progress.html",
    "src/cxmaturity/web/templates/progress_compare.html",
    "src/cxmaturity/web/pages/progress.py",
    "src/cxmaturity/progress/",
    "src/cxmaturity/planning/",
    "src/cxmaturity/i18n/phrase.py",
    "src/cxmaturity/web/pages/respond.py",
    "src/cxmaturity/web/pages/quick.py",
    "src/cxmaturity/web/errors.py",
    "src/cxmaturity/services/respond.py",
    "src/cxmaturity/services/quick.py",
    "src/cxmaturity/services/quick_links.py",
    "src/cxmaturity/services/mail.py",
    "src/cxmaturity/reporting/",
    # An export's headers and sheet names in the requester's language (docs/exports.md).
    "src/cxmaturity/exports/",
    "src/cxmaturity/answers/headings.py",
    "src/cxmaturity/demo.py",
    # The facilitator's results, assessment, framework and benchmark pages (docs/translations.md).
    "src/cxmaturity/web/templates/results.html",
    "src/cxmaturity/web/templates/results_macros.html",
    "src/cxmaturity/web/templates/results_exports.html",
    "src/cxmaturity/web/templates/as_surveyed.html",
    "src/cxmaturity/web/templates/assessment_overview.html",
    "src/cxmaturity/web/templates/assessment_mail.html",
    "src/cxmaturity/web/templates/audit.html",
    "src/cxmaturity/web/templates/framework.html",
    "src/cxmaturity/web/templates/framework_compare.html",
    "src/cxmaturity/web/templates/benchmark.html",
    "src/cxmaturity/web/templates/benchmark_settings.html",
    "src/cxmaturity/web/pages/results.py",
    "src/cxmaturity/web/pages/assessments.py",
    "src/cxmaturity/web/pages/frameworks.py",
    "src/cxmaturity/web/pages/benchmarks.py",
    "src/cxmaturity/web/pages/mail.py",
    "src/cxmaturity/web/pages/exports.py",
    # The facilitator's pages on customer outcomes and the scorecard, units and campaigns, workshops, the
    # organization and single sign-on, with the messages their modules hand them.
    "src/cxmaturity/web/templates/outcomes",
    "src/cxmaturity/web/templates/scorecard.html",
    "src/cxmaturity/web/templates/units",
    "src/cxmaturity/web/templates/unit.html",
    "src/cxmaturity/web/templates/campaign.html",
    "src/cxmaturity/web/templates/workshop_",
    "src/cxmaturity/web/templates/organization.html",
    "src/cxmaturity/web/templates/sso_",
    "src/cxmaturity/web/templates/quick_to_full.html",
    "src/cxmaturity/web/pages/outcomes.py",
    "src/cxmaturity/web/pages/units.py",
    "src/cxmaturity/web/pages/workshops.py",
    "src/cxmaturity/web/pages/sso.py",
    "src/cxmaturity/services/oidc.py",
    "src/cxmaturity/services/sso.py",
    "src/cxmaturity/services/scorecard.py",
)

# A printf conversion as Python's % operator reads it: ``%(name)s``, ``%d``, ``%.2f``; ``%%`` is a literal percent.
_PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


#: French puts a no-break space before ":" (U+00A0) and a narrow one (U+202F) before ";", "?" and "!", and a no-break
#: space inside « »; either no-break space is accepted. An ordinary space would let a line break before the sign.
NO_BREAK_SPACES = "\u00a0\u202f"
_FRENCH_SIGNS = re.compile(r"[:;?!]")
_TAG = re.compile(r"<[^>]*>")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class CatalogProblem:
    file: Path
    line: int
    language: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.language}] {self.message}"


def placeholders(text: str) -> list[str]:
    """Return the conversions in ``text`` (``%(name)s`` as ``name:s``, ``%d`` as ``:d``), ``%%`` left out, sorted."""
    found = [f"{m['name'] or ''}:{m['type']}" for m in _PLACEHOLDER.finditer(text) if m["type"] != "%"]
    return sorted(found)


def french_typography(text: str) -> list[str]:
    """Return what ``text`` (a French translation) spaces wrongly: an ordinary space, or none, before ":", ";", "?"
    or "!" used as punctuation, and no no-break space inside « ». Markup, URLs and signs inside a word or a value
    (``17:00``, ``operational:NAME``, ``?lang=``) are left alone: a sign counts as punctuation when a space or the
    text's end follows it."""
    text = _URL.sub("", _TAG.sub("", text))
    found: list[str] = []
    for m in _FRENCH_SIGNS.finditer(text):
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end() : m.end() + 1]
        if before and before in NO_BREAK_SPACES:
            continue
        if before.isspace():
            found.append(f"an ordinary space before {m.group()!r}")
        elif before and (not after or after.isspace()):
            found.append(f"no space before {m.group()!r}")
    found += [
        "no no-break space after «"
        for m in re.finditer("«", text)
        if text[m.end() : m.end() + 1] == "" or text[m.end()] not in NO_BREAK_SPACES
    ]
    found += [
        "no no-break space before »"
        for m in re.finditer("»", text)
        if not m.start() or text[m.start() - 1] not in NO_BREAK_SPACES
    ]
    return found


def _is_format(message: Message) -> bool:
    """Whether the text is formatted with ``%`` (a ``python-format`` flag, which pybabel sets where it sees one)."""
    return "python-format" in message.flags


def _forms(message: Message) -> list[tuple[str, str]]:
    """Return (source, translation) pairs: the singular's and each plural form's, each against its English text."""
    if isinstance(message.id, str):
        return [(message.id, message.string)] if isinstance(message.string, str) else []
    singular, plural = message.id[0], message.id[1]
    strings = message.string if isinstance(message.string, list | tuple) else [message.string]
    # Every plural form (there are one to six, by language) is compared with the English plural: many languages use
    # their "one" form for 21, 31... too, so every form must carry the count.
    return [(singular if i == 0 and len(strings) == 1 else plural, s or "") for i, s in enumerate(strings)]


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, list | tuple) else [message.string]
    return bool(strings) and all(strings) and "fuzzy" not in message.flags


def _needs_completion(message: Message) -> bool:
    return any(str(path).startswith(COMPLETE_SOURCES) for path, _ in message.locations)


def check_catalog(path: Path, language: str, *, complete: bool) -> list[CatalogProblem]:
    """Return the problems of one ``.po`` file: wrong placeholders, French spacing (``french_typography``); with
    ``complete``, texts left untranslated that must not be."""
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=language)
    problems: list[CatalogProblem] = []
    for message in catalog:
        if not message.id:
            continue
        if not _translated(message):
            if complete and _needs_completion(message):
                what = "fuzzy" if "fuzzy" in message.flags else "untranslated"
                problems.append(CatalogProblem(path, message.lineno or 1, language, f"{what}: {_short(message)}"))
            continue
        if language == "fr":
            for _, translation in _forms(message):
                for problem in dict.fromkeys(french_typography(translation)):
                    problems.append(
                        CatalogProblem(
                            path,
                            message.lineno or 1,
                            language,
                            f"{problem} (French spacing: U+00A0 or U+202F): {_short(message)}",
                        )
                    )
        for source, translation in _forms(message):
            if not (_is_format(message) or "%" in source):
                continue
            want, got = placeholders(source), placeholders(translation)
            if want != got:
                problems.append(
                    CatalogProblem(
                        path,
                        message.lineno or 1,
                        language,
                        f"placeholders {_list(got)} differ from the English text's {_list(want)}: {_short(message)}",
                    )
                )
    return problems


def _list(found: list[str]) -> str:
    shown = [f"%({n})" + t if n else "%" + t for n, t in (p.split(":") for p in found)]
    return "(" + ", ".join(shown) + ")" if shown else "(none)"


def _short(message: Message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _compiled(catalog_path: Path, language: str) -> bytes:
    with catalog_path.open("rb") as fp:
        catalog: Catalog = read_po(fp, locale=language)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def check_all(locale_dir: Path = LOCALE_DIR) -> list[CatalogProblem]:
    """Check every language's catalog: placeholders, completeness (for ``LOCALES``) and the compiled file."""
    problems: list[CatalogProblem] = []
    for language_dir in sorted(p for p in locale_dir.iterdir() if p.is_dir()):
        language = language_dir.name
        po = language_dir / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.is_file():
            continue
        problems += check_catalog(po, language, complete=language in LOCALES)
        mo = po.with_suffix(".mo")
        if language == DEFAULT_LOCALE:
            continue  # English is the msgids themselves; its catalog exists for translators' tools only
        if not mo.is_file():
            problems.append(CatalogProblem(mo, 1, language, "not compiled: run `make translations`"))
        elif mo.read_bytes() != _compiled(po, language):
            problems.append(CatalogProblem(mo, 1, language, "older than its .po file: run `make translations`"))
    for language in LOCALES:
        if not (locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
            problems.append(CatalogProblem(locale_dir / language, 1, language, "no catalog for a supported language"))
    return problems
