"""The panels registry: pages ask it for what the apps built on them add."""

from __future__ import annotations

from salesflow.core.models import User
from salesflow.core.panels import HOME, Panels


def test_panels_merge_in_registration_order_with_what_the_page_is_about():
    panels = Panels("test")
    seen: list[tuple[str, dict[str, object]]] = []

    def first(user: User, **about: object) -> dict[str, object]:
        seen.append(("first", about))
        return {"a": 1, "shared": "first"}

    def second(user: User, **about: object) -> dict[str, object]:
        seen.append(("second", about))
        return {"b": 2, "shared": "second"}

    panels.register(first)
    panels.register(second)
    panels.register(first)  # ready() run again registers nothing twice
    user = User(username="someone")
    assert panels.context(user, account="acme") == {"a": 1, "b": 2, "shared": "second"}
    assert seen == [("first", {"account": "acme"}), ("second", {"account": "acme"})]


def test_an_empty_registry_adds_nothing():
    assert Panels("nothing").context(User(username="someone")) == {}


def test_the_apps_register_their_home_panels_in_installed_apps_order():
    from pipeline import panels as pipeline_panels
    from pipeline.reviews import panels as review_panels

    assert HOME.registered == (pipeline_panels.home, review_panels.home)
