"""A page request the router cannot take as it is (a path or query value that is not a number, a form field too
long or missing, a form body that cannot be parsed) answers with an error page naming each field, not the
framework's JSON."""

from __future__ import annotations

import httpx

from tests.web.conftest import Cast, Site


def _is_error_page(response: httpx.Response, status: int, *lines: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>That did not work</h1>" in response.text
    for line in lines:
        assert f"<li><code>{line}</code></li>" in response.text


def test_it_names_a_path_or_query_value_that_is_not_a_number(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    _is_error_page(
        client.get("/assessments/abc"),
        422,
        "assessment_id (path): Input should be a valid integer, unable to parse string as an integer",
    )
    _is_error_page(
        client.get(f"/orgs/{cast.org_a}/audit?before=yesterday"),
        422,
        "before (query): Input should be a valid integer, unable to parse string as an integer",
    )


def test_it_names_a_form_field_that_is_too_long_and_creates_nothing(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    page = f"/orgs/{cast.org_a}/assessments/new"
    title = "Too long " + "x" * 1000
    response = client.submit(page, page, {"title": title, "framework": "builtin:xm-six-competencies"})
    _is_error_page(response, 422, "title: String should have at most 1000 characters")
    assert title not in response.text  # the value is not echoed back
    assert "Too long" not in client.get(f"/orgs/{cast.org_a}").text


def test_it_names_a_missing_form_field(site: Site) -> None:
    client = site.client()
    response = client.submit("/signin", "/signin", {"password": "secret"})
    _is_error_page(response, 422, "email: Field required")


def test_a_form_body_that_cannot_be_parsed_gets_a_page(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    response = client.post(
        f"/assessments/{cast.assessment}/import",
        content=b"file=answers.csv",
        headers={"Content-Type": "multipart/form-data"},  # no boundary: the framework cannot split the parts
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>This request cannot be read</h1>" in response.text
