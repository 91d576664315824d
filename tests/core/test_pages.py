"""The base UI: a home page per role, navigation that fits the role, no dead links, strict CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from salesflow.core import services
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


class LinkAndInlineParser(HTMLParser):
    """Collects links, and anything the CSP would block: inline scripts, styles, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.inline: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "style" or "style" in attributes:
            self.inline.append(f"style on <{tag}>")
        if any(name.startswith("on") for name in attributes):
            self.inline.append(f"event handler on <{tag}>")
        if any(name.startswith(("hx-on", "data-hx-on")) for name in attributes):
            self.inline.append(f"hx-on on <{tag}>")
        self._in_script_without_src = tag == "script" and "src" not in attributes

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline.append("inline <script>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


def parse(response) -> LinkAndInlineParser:
    parser = LinkAndInlineParser()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def people():
    team = TeamFactory(name="North")
    manager = UserFactory(role="manager", team=team, first_name="Mona")
    team.manager = manager
    team.save()
    return {
        "rep": UserFactory(role="rep", team=team, first_name="Rita"),
        "manager": manager,
        "sales_ops": services.user_create(
            username="ops", password="x", role="sales_ops", first_name="Sam"
        ),
        "admin": services.user_create(
            username="root", password="x", role="admin", first_name="Alex"
        ),
    }


@pytest.mark.parametrize(
    ("role", "heading", "admin_link"),
    [
        ("rep", "Today", False),
        ("manager", "Drafts waiting for your review", False),
        ("sales_ops", "Teams", True),
        ("admin", "Background jobs", True),
    ],
)
def test_each_role_gets_its_own_home_and_navigation(client, people, role, heading, admin_link):
    user = people[role]
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Hello, {user.first_name}" in html
    assert heading in html
    assert (reverse("admin:index") in parse(response).links) is admin_link


@pytest.mark.parametrize("role", ["rep", "manager", "sales_ops", "admin"])
def test_no_dead_links_from_any_home_page(client, people, role):
    client.force_login(people[role])
    links = {link for link in parse(client.get(reverse("home"))).links if link.startswith("/")}
    assert links, "the home page should link somewhere"
    for link in links:
        assert client.get(link).status_code == 200, f"{role}: {link} is a dead link"


def test_teammates_are_listed_on_the_rep_home(client, rep, teammate, outsider):
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    assert teammate.display_name in html
    assert outsider.display_name not in html


def test_admin_home_query_count_does_not_grow_with_teams(
    client, people, django_assert_max_num_queries
):
    client.force_login(people["admin"])
    with django_assert_max_num_queries(9):  # 8, and the unread notification count
        client.get(reverse("home"))
    for n in range(20):
        UserFactory(team=TeamFactory(name=f"Extra {n}"))
    with django_assert_max_num_queries(9):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("url_name", ["login", "home", "password_change"])
def test_pages_send_a_strict_csp_and_contain_nothing_inline(client, rep, url_name):
    if url_name != "login":
        client.force_login(rep)
    response = client.get(reverse(url_name))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert re.search(r"script-src 'self'(;|$)", policy)
    assert re.search(r"style-src 'self'(;|$)", policy)
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert parse(response).inline == []


def test_htmx_requests_carry_the_csrf_token(client, rep):
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    match = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", html)
    assert match is not None
    assert len(match.group(1)) >= 32


def test_user_text_is_escaped(client, team):
    hostile = UserFactory(team=team, first_name="<script>alert(1)</script>", last_name="X")
    viewer = UserFactory(team=team)
    client.force_login(viewer)
    html = client.get(reverse("home")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert hostile.pk


def test_unknown_page_answers_a_friendly_404(client, rep):
    client.force_login(rep)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()


def test_times_are_shown_in_the_users_own_time_zone(client, rep, teammate):
    rep.time_zone = "America/New_York"
    rep.save()
    client.force_login(rep)
    assert "Times shown in America/New_York" in client.get(reverse("home")).content.decode()
    client.force_login(teammate)
    assert "Times shown in Europe/London" in client.get(reverse("home")).content.decode()
