"""The results dashboard and its JSON, on SQLite and PostgreSQL, for assessments answered through the services."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from cxmaturity.frameworks import load_builtin
from cxmaturity.reporting.charts import charts
from cxmaturity.scoring.display import score_text
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING
from cxmaturity.scoring.serialize import result_to_dict
from cxmaturity.services import assessments, respond, results
from cxmaturity.services.access import Actor
from cxmaturity.services.respond import PageInput
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Answer, Invitation
from tests.support.timing import timed
from tests.support.values import known
from tests.web.conftest import Cast, Site

FW = load_builtin("xm-six-competencies")
DATA_BLOCK = re.compile(r'<script type="application/json" id="(chart-[a-z]+)">(.*?)</script>', re.S)


@dataclass
class Filled:
    id: int
    title: str
    #: Invitation tokens per group name.
    tokens: dict[str, list[str]] = field(default_factory=dict)


def _answer(indicator: Any, level: float) -> str:
    """The option at ``level`` (0 = lowest, 1 = highest) of an indicator's answers."""
    keys = FW.answer_keys(indicator)
    return keys[max(0, min(len(keys) - 1, round(level * (len(keys) - 1))))]


def fill(
    site: Site,
    cast: Cast,
    groups: dict[str, tuple[int, float]],
    *,
    comments: dict[str, str] | None = None,
    targets: dict[str, str] | None = None,
    synthetic: bool = False,
    dont_know: bool = False,
    unknown: tuple[str, ...] = (),
    know_nothing: dict[str, int] | None = None,
) -> Filled:
    """Create an open assessment in organization A and answer it through the respondent services.

    ``groups`` maps a group name to (respondents, level 0..1); each respondent varies a little around the level.
    ``comments`` maps a group name to a comment its first respondent writes on the first question.
    ``unknown`` names competencies everyone answers with don't know; ``know_nothing`` adds, per group, respondents
    who answer don't know to every question.
    """
    title = f"Results test {secrets.token_hex(4)}"
    facilitator = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        created = assessments.create(
            db, facilitator, cast.org_a, title, "builtin:xm-six-competencies", groups=list(groups), synthetic=synthetic
        )
        db.flush()
        filled = Filled(created.id, title)
        if targets:
            assessments.set_targets(db, facilitator, created.id, targets)
        assessments.set_status(db, facilitator, created.id, "open")
        group_ids = {g.name: g.id for g in assessments.groups(db, created.id)}
        for name, (count, level) in groups.items():
            if not count:
                continue
            # Links the app e-mailed: only such respondents make a group large enough to be shown.
            tokens = assessments.create_invitations(db, facilitator, created.id, group_ids[name], count, emailed=True)
            filled.tokens[name] = tokens
            for r, token in enumerate(tokens):
                mine = level + 0.12 * ((r % 3) - 1)
                for comp in FW.competencies:
                    page = PageInput()
                    for n, ind in enumerate(comp.indicators):
                        dk = (dont_know and n % 2 == 0) or comp.key in unknown
                        page.answers[ind.key] = "dk" if dk else _answer(ind, mine - 0.05 * n)
                        page.importance[ind.key] = str(2 + (r + n) % 4)
                    if comments and name in comments and r == 0 and comp is FW.competencies[0]:
                        page.comments[comp.indicators[0].key] = comments[name]
                    respond.save_page(db, token, comp.key, page)
                respond.finish(db, token)
        for name, count in (know_nothing or {}).items():
            for token in assessments.create_invitations(
                db, facilitator, created.id, group_ids[name], count, emailed=True
            ):
                for comp in FW.competencies:
                    page = PageInput()
                    page.answers.update({ind.key: "dk" for ind in comp.indicators})
                    respond.save_page(db, token, comp.key, page)
                respond.finish(db, token)
    return filled


def _scored(site: Site, cast: Cast, assessment_id: int) -> results.AssessmentResults:
    with site.sessions() as db:
        return results.results(db, Actor(cast.viewer), assessment_id)


def _json(text: str) -> Any:
    return json.loads(text)


def test_it_shows_overall_and_competency_results(site: Site, cast: Cast) -> None:
    filled = fill(
        site, cast, {"North": (4, 0.75), "South": (3, 0.35)}, targets={"lead": "embed"}, comments={"North": "Fine."}
    )
    scored = _scored(site, cast, filled.id)
    result = scored.result
    response = site.client(cast.viewer).get(f"/assessments/{filled.id}/results")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    page = response.text
    assert f"Results: {filled.title}" in page
    o = result.overall
    stage_name = {s.key: FW.text(s.name) for s in FW.stages}
    assert f'<p class="kpi-value">{stage_name[known(o.stage)]}</p>' in page
    assert f'<p class="kpi-value">{score_text(o.score)}</p>' in page
    assert o.interval is not None
    assert f"90% interval {o.interval[0]:.2f} to {o.interval[1]:.2f}" in page
    assert '<p class="kpi-value">7</p>' in page  # respondents
    assert f'<p class="kpi-value">{result.coverage:.0%}</p>' in page
    for c in result.competencies:
        name = FW.text(FW.competency(c.key).name)
        assert c.interval is not None
        assert c.agreement.rwg is not None
        row = re.search(rf'<th scope="row">{name}</th>\s*<td>(.*?)</td>(.*?)</tr>', page, re.S)
        assert row, name
        cells = re.findall(r'<td class="num">(.*?)</td>', row.group(2))
        stage = known(c.stage)
        assert row.group(1) == stage_name[stage]
        assert cells == [
            score_text(c.score),
            f"{c.interval[0]:.2f} to {c.interval[1]:.2f}",
            f"{c.stage_probabilities[stage]:.0%}",
            f"{c.coverage:.0%}",
            f"{c.agreement.rwg:.2f}",
        ]
    assert "Intervals: posterior of the fulfilments (multivariate t, n - 1 + 1 df), 1000 draws." in page
    assert "<td>Embed (5)</td>" in page  # the assessment's target for Lead
    # Both groups are large enough: compared by name, in the table and the chart.
    assert '<th scope="row">North</th><td class="num">4</td>' in page
    assert '<th scope="row">South</th><td class="num">3</td>' in page
    assert "Fine." in page
    assert '<span class="comment-group">North</span>' in page
    # Stage descriptions of the current stage, and how to advance, in the framework's words.
    lead_stage = FW.stages[known(result.competency("lead").stage_number) - 1]
    assert FW.text(lead_stage.behaviors[0]) in page
    assert FW.text(lead_stage.advance[0]) in page
    # Gaps in the result's order: what holds the overall back first (and marked so), then by priority.
    gap_rows = re.findall(
        r'<tr><td class="num">(\d+)</td><th scope="row">(.*?)( <span class="flag">holds the overall back</span>)?</th>',
        page,
    )
    assert [name for _, name, _ in gap_rows] == [FW.text(FW.competency(g.competency).name) for g in result.gaps]
    assert [bool(flag) for _, _, flag in gap_rows] == [g.holds_back for g in result.gaps]
    assert any(g.holds_back for g in result.gaps)


def test_it_lists_discussion_items_with_their_answers(site: Site, cast: Cast) -> None:
    # Two camps: the team is split, so the statements become discussion items.
    filled = fill(site, cast, {"High": (3, 1.0), "Low": (3, 0.0)})
    result = _scored(site, cast, filled.id).result
    assert result.discussion_items
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    first = result.discussion_items[0]
    indicator = FW.indicator(first.indicator)
    assert FW.text(indicator.text) in page
    section = page.split('id="discussion"')[1].split("</section>")[0]
    item = section.split("<li>")[1]
    # Half at each end of the scale: more split than random answering, so rwg reads 0 and the item is polarised.
    assert first.polarised
    assert f'rwg {first.rwg:.2f} <span class="flag">polarised</span> · AD {first.ad:.2f}' in section
    for key, count in first.distribution.items():
        label = dict(zip(FW.answer_keys(indicator), _labels(indicator), strict=True))[key]
        assert f'<span class="count">{count}</span> {label}' in section
    assert FW.text(indicator.text) in item


def _labels(indicator: Any) -> list[str]:
    if indicator.kind == "statement":
        return [FW.text(o.label) for o in FW.scales[indicator.scale].options]
    return [FW.text(s.name) for s in FW.stages]


def test_it_serves_the_result_as_json_in_the_shape_of_the_cli(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Team": (3, 0.6)})
    response = site.client(cast.viewer).get(f"/assessments/{filled.id}/results.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "private, no-store"
    expected = json.loads(json.dumps(result_to_dict(_scored(site, cast, filled.id).result)))
    assert response.json() == expected
    assert expected["format"] == "cx-maturity/result@1"


def test_it_never_names_a_group_below_the_minimum_size(site: Site, cast: Cast) -> None:
    suffix = secrets.token_hex(3)
    big, trio, duo = f"Crowd-{suffix}", f"Trio-{suffix}", f"Duo-{suffix}"
    filled = fill(
        site,
        cast,
        {big: (4, 0.7), trio: (3, 0.4), duo: (2, 0.2)},
        comments={big: f"Crowd remark {suffix}", duo: f"Duo remark {suffix}", trio: f"Trio remark {suffix}"},
    )
    client = site.client(cast.viewer)
    page = client.get(f"/assessments/{filled.id}/results").text
    data = client.get(f"/assessments/{filled.id}/results.json").text
    # The duo is too small. The trio is large enough, but with the crowd shown too, the team minus both would be
    # the duo: the smaller of the two is withheld as well.
    for hidden in (duo, trio):
        assert hidden not in page
        assert hidden not in data
    assert big in page
    assert big in data
    # The pair's comment is shown, but without its group; the crowd's comment names the crowd.
    assert f"Duo remark {suffix}" in page
    comments = page.split('id="comments"')[1].split("</section>")[0]
    duo_item = next(li for li in comments.split("<li>") if f"Duo remark {suffix}" in li)
    assert "comment-group" not in duo_item
    trio_item = next(li for li in comments.split("<li>") if f"Trio remark {suffix}" in li)
    assert "comment-group" not in trio_item
    crowd_item = next(li for li in comments.split("<li>") if f"Crowd remark {suffix}" in li)
    assert f'<span class="comment-group">{big}</span>' in crowd_item
    assert "2 groups withheld: too small, or shown they would single out the few left over." in page
    assert "Groups are shown only with at least 3 respondents" in page
    assert _json(data)["withheld_groups"] == 2
    assert [g["group"] for g in _json(data)["groups"]] == [big]


def test_it_escapes_comments(site: Site, cast: Cast) -> None:
    nasty = "<script>alert('x')</script> & <b>bold</b> \"quoted\""
    filled = fill(site, cast, {"Team": (3, 0.5)}, comments={"Team": nasty})
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    assert "<script>alert" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; &#34;quoted&#34;" in page


def test_it_lets_members_read_results_and_hides_them_from_outsiders(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Team": (3, 0.5)})
    page, data = f"/assessments/{filled.id}/results", f"/assessments/{filled.id}/results.json"
    for member in (cast.viewer, cast.facilitator, cast.owner):
        client = site.client(member)
        assert client.get(page).status_code == 200
        assert client.get(data).status_code == 200
    outsider = site.client(cast.outsider)
    assert outsider.get(page).status_code == 404
    missing = outsider.get(data)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no such assessment"})
    assert filled.title not in outsider.get(page).text
    anonymous = site.client()
    assert anonymous.get(page).status_code == 303
    assert anonymous.get(page).headers["location"] == f"/signin?next={page}"
    assert anonymous.get(data).status_code == 303
    assert site.client(cast.viewer).get("/assessments/999999999/results").status_code == 404


#: The only script tags a page may hold under the CSP: files, and JSON data (the charts' specs, the number locale).
SCRIPT_FILE = r'<script src="/static/[a-z/.-]+\.js"( defer)?>'
DATA_SCRIPT = r'<script type="application/json" id="(chart-[a-z]+|number-locale)">'


def test_it_embeds_the_chart_specs_as_json_data_blocks_under_the_csp(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"North": (3, 0.8), "South": (3, 0.3)})
    scored = _scored(site, cast, filled.id)
    response = site.client(cast.viewer).get(f"/assessments/{filled.id}/results")
    page = response.text
    blocks = {chart_id: json.loads(text) for chart_id, text in DATA_BLOCK.findall(page)}
    expected = {c.id: json.loads(json.dumps(c.spec)) for c in charts(scored.result, scored.framework)}
    assert blocks == expected
    assert set(blocks) == {"chart-radar", "chart-heatmap", "chart-groups"}
    for chart_id in blocks:
        assert f'data-chart="{chart_id}"' in page
    # Every chart has its numbers as a table, open until the script draws the chart (so it is there without JS).
    assert page.count('<details class="chart-data" open>') == len(blocks)
    # Nothing the CSP would block: scripts are files or JSON data, no inline styles or event handlers.
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert re.fullmatch(SCRIPT_FILE, tag) or re.fullmatch(DATA_SCRIPT, tag), tag
    assert not re.search(r"\sstyle=|\son[a-z]+=", page)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-eval" not in csp
    for script in ("vendor/vega.min.js", "vendor/vega-lite.min.js", "vendor/vega-embed.min.js", "charts.js"):
        assert site.client().get(f"/static/{script}").status_code == 200


def test_it_escapes_text_inside_the_chart_data_blocks(site: Site, cast: Cast) -> None:
    group = "</script><script>alert(1)</script>"
    filled = fill(site, cast, {group: (3, 0.5)})
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    assert "</script><script>alert(1)" not in page
    blocks = dict(DATA_BLOCK.findall(page))
    assert group in json.dumps(json.loads(blocks["chart-groups"]))  # the name survives, escaped as \u003c...


def test_it_flags_low_coverage(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Team": (3, 0.6)}, dont_know=True)
    result = _scored(site, cast, filled.id).result
    assert result.low_coverage
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    assert "<strong>Low coverage.</strong>" in page
    assert f"Only {result.coverage:.0%} of the expected answers were given" in page
    assert '<span class="flag">low</span>' in page


def test_it_labels_synthetic_results(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Team": (3, 0.6)}, synthetic=True)
    client = site.client(cast.viewer)
    page = client.get(f"/assessments/{filled.id}/results").text
    assert '<span class="badge">SYNTHETIC</span>' in page
    assert client.get(f"/assessments/{filled.id}/results.json").json()["data"].startswith("SYNTHETIC")


def test_it_says_so_before_anyone_answered(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {})
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    assert "No usable answers yet." in page
    assert "vega" not in page
    refused = site.client(cast.viewer).get(f"/assessments/{filled.id}/results.json")
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        f"assessment {filled.id} ({filled.title}): no usable answer to score: every answer is don't know, "
        "not applicable or missing"
    )


def test_it_does_not_call_the_same_competencies_weakest_and_strongest(site: Site, cast: Cast) -> None:
    """Everyone answers every question with its highest option: all competencies score alike, and the summary says
    so instead of "Weakest: Lead, Realize, … Strongest: Lead, Realize, …"."""
    filled = fill(site, cast, {"Team": (3, 2.0)})
    scored = _scored(site, cast, filled.id)
    assert set(scored.result.weakest) == set(scored.result.strongest) == {c.key for c in FW.competencies}
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    assert "Every competency scores the same: none is weaker or stronger than the others." in page
    assert "Weakest:" not in page
    uneven = site.client(cast.viewer).get(f"/assessments/{fill(site, cast, {'Team': (3, 0.6)}).id}/results").text
    assert "Weakest: <strong>" in uneven


def test_it_shows_no_stage_when_everyone_answered_dont_know(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Team": (0, 0.5)}, know_nothing={"Team": 3})
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    assert "No usable answers yet." in page
    assert "answered, but only with don't know or not applicable" in page
    assert "Overall stage" not in page
    assert site.client(cast.viewer).get(f"/assessments/{filled.id}/results.json").status_code == 422


def test_it_shows_a_competency_nobody_could_answer_as_not_assessed(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"North": (3, 0.7), "South": (2, 0.3)}, unknown=("lead",), know_nothing={"South": 2})
    result = _scored(site, cast, filled.id).result
    # The respondents who knew nothing count nowhere: not in n, and South (2 who answered) is too small to show.
    assert (result.respondents, result.excluded_respondents) == (5, 2)
    assert "South" not in {g.group for g in result.groups}
    assert result.not_assessed == ("lead",)
    page = site.client(cast.viewer).get(f"/assessments/{filled.id}/results").text
    assert "Not assessed (no usable answers): Lead; left out of the overall." in page
    row = re.search(r'<th scope="row">Lead</th>\s*<td>(.*?)</td>\s*<td class="num">(.*?)</td>', page, re.S)
    assert row is not None
    assert row.groups() == ('<em class="not-assessed">not assessed</em>', "–")
    assert "Lead</strong>" not in page.split('id="gaps-heading"')[1].split("</section>")[0]
    assert "2 more answered only don't know or not applicable" in page
    data = site.client(cast.viewer).get(f"/assessments/{filled.id}/results.json").json()
    lead = next(c for c in data["competencies"] if c["key"] == "lead")
    assert (lead["stage"], lead["score"], lead["interval"]) == (None, None, None)
    assert data["overall"]["score"] == min(c["score"] for c in data["competencies"] if c["score"] is not None)
    assert "lead" not in [g["competency"] for g in data["gaps"]]


def _bulk_answers(site: Site, cast: Cast, respondents: int) -> int:
    """An assessment with ``respondents`` complete sets of answers, written in bulk (services would take minutes)."""
    rng = np.random.default_rng(11)
    with transaction(site.sessions) as db:
        created = assessments.create(
            db,
            Actor(cast.facilitator),
            cast.org_a,
            f"Large {secrets.token_hex(3)}",
            "builtin:xm-six-competencies",
            groups=["A", "B", "C", "D", "E"],
        )
        db.flush()
        group_ids = [g.id for g in assessments.groups(db, created.id)]
        assessment_id = created.id
    with site.engine.begin() as conn:
        conn.execute(
            sa.insert(Invitation),
            [
                {
                    "assessment_id": assessment_id,
                    "group_id": group_ids[i % len(group_ids)],
                    "token_hash": secrets.token_hex(32),
                    "source": "import",
                }
                for i in range(respondents)
            ],
        )
        ids = conn.execute(sa.select(Invitation.id).where(Invitation.assessment_id == assessment_id)).scalars().all()
        rows = []
        for n, invitation_id in enumerate(ids):
            level = 0.3 + 0.5 * (n % 7) / 6
            for _, ind in FW.indicators:
                keys = FW.answer_keys(ind)
                position = int(np.clip(round(level * (len(keys) - 1) + rng.normal(0, 0.8)), 0, len(keys) - 1))
                rows.append(
                    {
                        "assessment_id": assessment_id,
                        "invitation_id": invitation_id,
                        "indicator_key": ind.key,
                        "option_key": "dk" if rng.random() < 0.03 else keys[position],
                        "importance": int(rng.integers(1, 6)),
                        "comment": "Long comment." if rng.random() < 0.01 else None,
                    }
                )
        if site.backend == "postgresql":
            # COPY: seconds faster than an executemany of 74,000 rows.
            columns = list(rows[0])
            now = datetime.now(UTC)
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY answer ({', '.join(columns)}, answered_at) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([*row.values(), now])
        else:
            conn.execute(sa.insert(Answer), rows)
    return assessment_id


@timed
def test_it_serves_the_results_of_2000_respondents_within_300_ms(site: Site, cast: Cast) -> None:
    """The whole request: load 74,000 answers, score with 1,000 bootstrap resamples, build the view, render.

    The app runs in this process. Wall time is the measure on an idle machine; on a busy one (tests in parallel) the
    CPU time of this process is, since waiting for a core is not the server's work. Multi-threaded numpy can make
    CPU time exceed wall time on an idle machine, so the test takes the best of five of each and passes when either
    is under 300 ms. PostgreSQL's own query time (about 20 ms) is in the wall time only.
    """
    assessment_id = _bulk_answers(site, cast, 2000)
    client = site.client(cast.viewer)
    url = f"/assessments/{assessment_id}/results"
    cpu, wall = [], []
    for _ in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        assert response.status_code == 200
    assert '<p class="kpi-value">2000</p>' in response.text
    assert "group withheld" not in response.text  # every group has 400 people: all shown
    assert min(min(wall), min(cpu)) < 0.3, f"wall {wall}, cpu {cpu}"


def test_it_loads_every_stored_answer_into_the_matrix(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"North": (2, 0.9), "South": (3, 0.2)}, comments={"South": "Hmm."}, dont_know=True)
    first_token = filled.tokens["North"][0]
    with transaction(site.sessions) as db:
        invitation_id = respond.visit(db, first_token).invitation.id
        # An answer to an indicator the snapshot does not have, and an option the indicator does not have.
        db.add(Answer(assessment_id=filled.id, invitation_id=invitation_id, indicator_key="gone", option_key="1"))
        db.execute(
            sa.update(Answer)
            .where(Answer.invitation_id == invitation_id, Answer.indicator_key == FW.indicator_keys[1])
            .values(option_key="no-such-option")
        )
    with site.sessions() as db:
        assessment = assessments.get(db, Actor(cast.viewer), filled.id)
        matrix, comments = results.load_responses(db, assessment, FW)
    assert matrix.groups == ("North", "North", "South", "South", "South")  # invitation order
    expected_rows = [(0.9, r) for r in range(2)] + [(0.2, r) for r in range(3)]
    for row, (level, r) in enumerate(expected_rows):
        mine = level + 0.12 * ((r % 3) - 1)
        for comp in FW.competencies:
            for n, ind in enumerate(comp.indicators):
                column = FW.indicator_keys.index(ind.key)
                if row == 0 and column == 1:
                    code = MISSING
                elif n % 2 == 0:
                    code = DONT_KNOW_CODE
                else:
                    code = FW.answer_keys(ind).index(_answer(ind, mine - 0.05 * n))
                assert matrix.answers[row, column] == code, (row, ind.key)
                assert matrix.importance[row, column] == 2 + (r + n) % 4
    assert comments == [(2, FW.competencies[0].indicators[0].key, "Hmm.")]


def test_a_comment_saved_while_the_answers_are_read_waits_for_the_next_read(site: Site, cast: Cast) -> None:
    # Found by bench/bench_heavy.py on PostgreSQL: a report read the answers, a respondent saved a first page with a
    # comment, and the report's next statement (READ COMMITTED: a fresh snapshot) found a comment of an invitation
    # with no row in the matrix: 500 KeyError.
    if site.backend != "postgresql":
        pytest.skip("SQLite reads the whole transaction as of its first statement")
    filled = fill(site, cast, {"North": (2, 0.5)})
    with transaction(site.sessions) as db:
        (late,) = assessments.create_invitations(db, Actor(cast.facilitator), filled.id, None, 1)
        late_id = respond.visit(db, late).invitation.id
    first = FW.indicator_keys[0]
    saved: list[bool] = []
    with site.sessions() as db:
        assessment = assessments.get(db, Actor(cast.viewer), filled.id)
        connection = db.connection()

        def save_between(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not saved and "answer.comment IS NOT NULL" in statement:
                saved.append(True)
                with site.engine.begin() as other:  # another request, committed before the comments are read
                    other.execute(
                        sa.insert(Answer).values(
                            assessment_id=filled.id,
                            invitation_id=late_id,
                            indicator_key=first,
                            option_key=FW.answer_keys(FW.indicator(first))[0],
                            comment="Saved in between",
                        )
                    )

        sa.event.listen(connection, "before_cursor_execute", save_between)
        try:
            matrix, comments = results.load_responses(db, assessment, FW)
        finally:
            sa.event.remove(connection, "before_cursor_execute", save_between)
    assert saved == [True]
    assert len(matrix.respondents) == 2
    assert all(text != "Saved in between" for _, _, text in comments)
    with site.sessions() as db:  # the next read has the respondent and the comment
        matrix, comments = results.load_responses(db, assessments.get(db, Actor(cast.viewer), filled.id), FW)
    assert len(matrix.respondents) == 3
    assert (2, first, "Saved in between") in comments
