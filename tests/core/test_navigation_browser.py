"""The top menu in a real browser: one line at 1280 px for every role, and behind the
toggler at phone width with every link reachable from the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.core import services
from salesflow.core.models import Notification
from tests.core.test_browser import sign_in, watch_console
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["rep", "manager", "sales_ops", "admin"]

# What a top-level control of the menu is: its links, the search box, "Log a conversation"
# and the buttons that open its dropdowns.
TOP_LEVEL = (
    "#main-nav > ul > li > .nav-link, #main-nav > form input, #main-nav > a.btn, .navbar-brand"
)


@pytest.fixture
def person(request):
    """A user of the role with a long-ish name and unread notifications: the widest the
    menu gets for that role."""
    role = request.param
    user = UserFactory(
        role=role, team=TeamFactory(), first_name="Maria-Christina", last_name="Okafor-Lindqvist"
    )
    services.user_apply_role(user=user)
    user.save()
    Notification.objects.bulk_create(
        Notification(user=user, kind="stuck_deal", title=f"Stuck {n}") for n in range(12)
    )
    return user


def menu_boxes(page: Page) -> list[dict]:
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((el) => el.offsetParent !== null)
            .map((el) => {
                const box = el.getBoundingClientRect();
                return {text: el.innerText || el.placeholder, top: box.top,
                        middle: box.top + box.height / 2, height: box.height};
            })""",
        TOP_LEVEL,
    )


# 1280: a laptop; 1200: the narrowest width at which the menu is not behind the toggler.
@pytest.mark.parametrize("width", [1280, 1200])
@pytest.mark.parametrize("person", ROLES, indirect=True)
def test_the_menu_fits_on_one_line_for_every_role(
    page: Page, live_server, person, width, screenshot
):
    violations = watch_console(page)
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server.url, person.username)
    expect(page.locator("#main-nav")).to_be_visible()
    screenshot(page, f"menu-{person.role}-{width}")
    boxes = menu_boxes(page)
    assert len(boxes) >= 8, boxes
    middles = [box["middle"] for box in boxes]
    # One line: every control sits on the same row as the brand, and the bar is as tall as
    # a single row (Bootstrap's navbar is 56 px with one row of links).
    assert max(middles) - min(middles) <= 4, boxes
    assert page.locator("nav.navbar").bounding_box()["height"] <= 60
    # Nothing spills past the bar's right edge either.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if person.is_staff:
        # The admin's pages are one menu away, grouped.
        page.get_by_role("button", name="Configure").click()
        expect(page.get_by_role("link", name="Pipelines and stages")).to_be_visible()
        expect(page.get_by_role("link", name="SOE templates", exact=True)).to_be_visible()
        screenshot(page, f"menu-{person.role}-{width}-configure")
    page.get_by_role("button", name=person.display_name).click()
    expect(page.locator(".dropdown-item-text", has_text=person.get_role_display())).to_be_visible()
    assert violations == []


def expected_controls(page: Page, person) -> list:
    links = ["Home", "Accounts", "Deals", "Board", "Reviews"]
    if person.role != "rep":
        links.append("Dashboard")
    if person.role == "manager":
        links.append("SOE templates")  # sales ops and admins find it under Configure
    controls = [page.get_by_role("link", name=name, exact=True) for name in links]
    if person.is_staff:
        controls.append(page.get_by_role("button", name="Configure"))
    return [
        *controls,
        page.get_by_role("searchbox", name="Search"),
        page.get_by_role("link", name="Log a conversation"),
        page.get_by_role("link", name="Notifications"),
        page.get_by_role("button", name=person.display_name),
    ]


@pytest.mark.parametrize("person", ROLES, indirect=True)
def test_the_menu_collapses_at_390_and_every_link_is_reachable_by_keyboard(
    page: Page, live_server, person, screenshot
):
    violations = watch_console(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, person.username)
    expect(page.locator("#main-nav")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"menu-{person.role}-390-closed")

    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Toggle navigation")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main-nav")).to_be_visible()
    for control in expected_controls(page, person):
        page.keyboard.press("Tab")
        expect(control).to_be_focused()
        expect(control).to_be_in_viewport()

    if person.is_staff:
        # Back to the Configure menu; the arrow keys walk all of its links.
        configure = page.get_by_role("button", name="Configure")
        configure.focus()
        page.keyboard.press("Enter")
        menu = page.locator("#configure-menu")
        expect(menu).to_be_visible()
        names = menu.get_by_role("link").all_inner_texts()
        assert "Pipelines and stages" in names
        assert "Everything in the admin" in names
        for name in names:
            page.keyboard.press("ArrowDown")
            expect(menu.get_by_role("link", name=name, exact=True)).to_be_focused()
        screenshot(page, f"menu-{person.role}-390-configure")
        page.keyboard.press("Escape")
        expect(configure).to_be_focused()

    page.get_by_role("button", name=person.display_name).focus()
    page.keyboard.press("Enter")
    for name in ("Change password", "Two-factor sign-in", "API tokens", "Calendar feed"):
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("link", name=name)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("button", name="Log out")).to_be_focused()
    screenshot(page, f"menu-{person.role}-390-open")
    assert violations == []
