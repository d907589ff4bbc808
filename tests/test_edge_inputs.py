"""Issue 17: inputs at the edges are refused with a 4xx that says why — never a 500.

Ids beyond what the store holds (64-bit, and 32-bit on PostgreSQL), days at the ends of the
calendar, numbers where a date belongs, NUL bytes and unpaired surrogates, and methods a URL
does not take. Every check runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.store import accounts
from paperradar.store.database import open_store, writing
from paperradar.web.app import create_app
from tests.pages import csrf_of, shown_text

BIG_IDS = [2**31, 2**63, 10**30, 0, -1]


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """A shared server over an empty store, signed in as a member (the API's writes need one)."""
    engine = open_store(db_url)
    with writing(engine) as conn:
        accounts.add_user(conn, "ada", "a-long-edge-pw", admin=True)
    with TestClient(create_app(engine, local=False), raise_server_exceptions=False) as signed_in:
        form = signed_in.get("/login").text
        signed_in.post("/login", data={"csrf": csrf_of(form), "name": "ada", "password": "a-long-edge-pw"})
        signed_in.headers["X-CSRF-Token"] = csrf_of(signed_in.get("/").text)
        yield signed_in
    engine.dispose()


@pytest.mark.parametrize("big", BIG_IDS)
def test_an_id_beyond_the_store_is_a_422_naming_the_bound(client: TestClient, big: int) -> None:
    for url in (f"/api/v1/authors/{big}", f"/api/v1/authors/{big}/similar"):
        answer = client.get(url)
        assert answer.status_code == 422
        assert answer.json()["error"].startswith("author_id: Input should be")
    for url in (f"/authors/{big}", f"/authors/{big}/similar", f"/authors/{big}/feed.atom"):
        assert client.get(url).status_code == 422
    # A paper is named by any id (arXiv, DOI, internal): a number nobody has is simply not there.
    assert client.get(f"/api/v1/papers/{big}").status_code == 404
    assert client.get(f"/papers/{big}").status_code == 404
    vote = client.put(f"/api/v1/papers/{big}/vote")
    assert vote.status_code == 404 and "no work" in vote.json()["error"]


def test_a_digit_that_is_not_ascii_is_no_internal_id(client: TestClient) -> None:
    assert client.get("/api/v1/papers/%C2%B2").status_code == 404  # "²": str.isdigit says yes


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("span", ["day", "week", "month"])
def test_a_day_at_the_ends_of_the_calendar_is_a_422(client: TestClient, day: str, span: str) -> None:
    """The schema says so too (a pattern on the day), so clients and fuzzers know before asking."""
    said = "day: expected a date from 1900-01-01 to 2999-12-31 as YYYY-MM-DD"
    answer = client.get(f"/api/v1/daily/{day}", params={"span": span})
    assert answer.status_code == 422 and answer.json()["error"] == said
    page = client.get(f"/daily/{day}", params={"span": span})
    assert page.status_code == 422 and said in shown_text(page.text)
    assert client.get(f"/daily/{day}/feed.atom").status_code == 422
    for edge in ("1900-01-01", "2999-12-31"):
        assert client.get(f"/api/v1/daily/{edge}", params={"span": span}).status_code == 200
        assert client.get(f"/daily/{edge}", params={"span": span}).status_code == 200


def test_the_cli_says_the_same_of_a_day_out_of_range(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "daily", "9999-12-31", "--month"])
    assert result.exit_code == 1
    assert "no feed for 9999-12-31: days run from 1900-01-01 to 2999-12-31" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/daily/0", "day: expected a date from 1900-01-01 to 2999-12-31 as YYYY-MM-DD"),
        ("/api/v1/daily/20260612", "day: expected a date from 1900-01-01 to 2999-12-31 as YYYY-MM-DD"),
        ("/api/v1/trending?at=0.5", "at: expected a time as YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]"),
        ("/api/v1/trending?at=1781222400", "at: expected a time as YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]"),
    ],
)
def test_a_number_is_not_a_date(client: TestClient, url: str, message: str) -> None:
    """Pydantic alone reads "0" as 1970-01-01 and "0.5" as half a second past it."""
    answer = client.get(url)
    assert answer.status_code == 422 and answer.json()["error"] == message
    assert client.get("/daily/0").status_code == 422


def test_dates_in_iso_form_still_work(client: TestClient) -> None:
    assert client.get("/api/v1/daily/2026-06-12").status_code == 200
    for at in ("2026-06-12", "2026-06-12T09:00Z", "2026-06-12T09:00:30.5+02:00"):
        answer = client.get("/api/v1/trending", params={"at": at})
        assert answer.status_code == 200, answer.text
    assert (
        client.get("/api/v1/trending", params={"at": "2026-06-12T09:00Z"})
        .json()["as_of"]
        .startswith("2026-06-12T09:00:00")
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/search?q=a%00b",
        "/api/v1/authors?q=%00",
        "/api/v1/orgs/%00",
        "/search?q=%00",
        "/search/feed.atom?q=%00",
    ],
)
def test_a_nul_in_the_url_is_a_422(client: TestClient, url: str) -> None:
    """PostgreSQL cannot store or compare text holding NUL; SQLite would cut it short."""
    answer = client.get(url)
    assert answer.status_code == 422
    assert "NUL characters are not allowed" in (answer.text if "/api/" not in url else answer.json()["error"])


@pytest.mark.parametrize(("raw", "problem"), [('"\\ud800"', "unicode string"), ('"a\\u0000"', "NUL")])
def test_text_the_store_cannot_keep_is_a_422_in_a_json_body(
    client: TestClient, raw: str, problem: str
) -> None:
    body = '{"id": ' + raw + "}"
    answer = client.post(
        "/api/v1/submissions", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422 and problem in answer.json()["error"]


def test_options_and_405_name_every_method_of_a_url(client: TestClient) -> None:
    options = client.options("/api/v1/papers/2104.12255/vote")
    assert options.status_code == 204
    assert options.headers["allow"] == "DELETE, OPTIONS, PUT"
    wrong = client.patch("/api/v1/papers/2104.12255/vote")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "DELETE, OPTIONS, PUT"
    # A GET there is not a lookup of the paper "2104.12255/vote": that URL takes PUT and DELETE.
    assert client.get("/api/v1/papers/2104.12255/vote").status_code == 405
    assert client.options("/api/v1/search").headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.get("/api/v1/papers/hep-th/9901001").status_code == 404  # ids with slashes still route


def test_the_schema_documents_each_refusal_where_it_occurs(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    def statuses(path: str, method: str) -> set[int]:
        return {int(code) for code in paths[path][method]["responses"] if code != "default"}

    assert {400, 401, 403, 404, 413, 422, 429} <= statuses("/api/v1/submissions", "post")
    assert {401, 403, 404, 429} <= statuses("/api/v1/papers/{ident}/vote", "put")
    assert {401, 403, 404, 429} <= statuses("/api/v1/papers/{ident}/save", "delete")
    assert {400, 401, 403, 404, 413, 422, 429} <= statuses("/api/v1/library/{ident}", "patch")
    assert {404, 409, 422} <= statuses("/api/v1/authors/{author_id}/similar", "get")
    assert {401, 422} <= statuses("/api/v1/recommendations", "get")
    assert 404 not in statuses("/api/v1/search", "get")  # only where it occurs
    refusal = paths["/api/v1/papers/{ident}"]["get"]["responses"]["404"]["content"]["application/json"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Problem"]
    assert refusal["schema"]["$ref"].endswith("/Problem") and schema["required"] == ["error"]
