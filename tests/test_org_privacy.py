"""Issue 17, organisations: their members' user names (which are sign-in names) are shown only to
the organisation's members and the site's admins — on the page, in its JSON twin and in its feeds
(who tagged a paper included). Everyone else sees how many members there are; the operator's
``paperradar org show`` still lists them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperradar.cli import app as cli
from paperradar.services.community import Community
from paperradar.services.context import AppContext
from paperradar.store import accounts
from paperradar.store.database import open_store, writing
from paperradar.web.app import create_app
from tests.pages import csrf_of, shown_text

PAPER = "2606.13681"  # EvoArena, in the demo corpus
ORG_ADMIN, MEMBER, OUTSIDER, SITE_ADMIN = "zephyrine", "quillon", "outsider", "ada"
NAMES = (ORG_ADMIN, MEMBER)  # the names that must not leak


@pytest.fixture(scope="module")
def lab_db(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus, four accounts and the organisation "lab": zephyrine its admin, quillon a
    member who filed EvoArena under it."""
    db = tmp_path_factory.mktemp("orgs") / "orgs.db"
    shutil.copyfile(_demo_template, db)
    engine = open_store(str(db))
    with writing(engine) as conn:
        for name in (SITE_ADMIN, ORG_ADMIN, MEMBER, OUTSIDER):
            accounts.add_user(conn, name, f"{name}-secret-pw", admin=name == SITE_ADMIN)
    community = Community(AppContext(engine))
    community.create("lab", "The Lab", ORG_ADMIN)
    community.add_member("lab", MEMBER)
    assert community.tag("lab", PAPER, MEMBER)
    engine.dispose()
    return db


@pytest.fixture
def browser(lab_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(lab_db), local=False)) as client:
        yield client


def signed_in(browser: TestClient, name: str) -> TestClient:
    form = browser.get("/login").text
    data = {"csrf": csrf_of(form), "name": name, "password": f"{name}-secret-pw"}
    assert browser.post("/login", data=data, follow_redirects=False).status_code == 303
    return browser


def hides_the_names(page: Any, api: Any) -> None:  # the test client's responses
    text = shown_text(page.text)
    assert page.status_code == 200 and "The Lab" in text and "EvoArena" in text
    assert "2 members (1 admin, 1 member). Only the organisation's members see who" in text
    assert "tagged by a member" in text
    data = api.json()
    assert data["members"] is None and data["member_count"] == 2
    assert data["roles"] == {"admin": 1, "member": 1}
    assert data["papers"][0]["why"] == "tagged by a member" and data["papers"][0]["submitter"] is None
    for name in NAMES:
        assert name not in page.text and name not in api.text


def test_anonymous_visitors_see_how_many_members_but_not_who(browser: TestClient) -> None:
    page = browser.get("/orgs/lab")
    hides_the_names(page, browser.get("/api/v1/orgs/lab"))
    assert 'href="/login?next=/orgs/lab"' in page.text


def test_a_signed_in_visitor_outside_the_organisation_sees_no_names_either(browser: TestClient) -> None:
    signed_in(browser, OUTSIDER)
    hides_the_names(browser.get("/orgs/lab"), browser.get("/api/v1/orgs/lab"))


@pytest.mark.parametrize("who", [MEMBER, ORG_ADMIN, SITE_ADMIN])
def test_members_and_admins_see_who_is_in_it(browser: TestClient, who: str) -> None:
    signed_in(browser, who)
    text = shown_text(browser.get("/orgs/lab").text)
    assert f"Members: {ORG_ADMIN} (admin), {MEMBER} (member)" in text
    assert f"tagged by {MEMBER}" in text
    data = browser.get("/api/v1/orgs/lab").json()
    assert data["members"] == [{"user": ORG_ADMIN, "role": "admin"}, {"user": MEMBER, "role": "member"}]
    assert data["member_count"] == 2 and data["papers"][0]["submitter"] == MEMBER


def test_the_organisations_feeds_name_nobody(browser: TestClient) -> None:
    for form in ("atom", "rss"):
        feed = browser.get(f"/orgs/lab/feed.{form}")
        assert feed.status_code == 200 and "EvoArena" in feed.text and "tagged by a member" in feed.text
        assert not any(name in feed.text for name in NAMES)


def test_the_operators_cli_still_lists_the_members(lab_db: Path) -> None:
    shown = CliRunner().invoke(cli, ["--db", str(lab_db), "org", "show", "lab", "--json"])
    assert shown.exit_code == 0, shown.output
    assert f'"user": "{MEMBER}"' in shown.output and f'"user": "{ORG_ADMIN}"' in shown.output
