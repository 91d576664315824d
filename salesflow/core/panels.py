"""Panels: what the apps built on a page's owner add to it. The page asks its registry;
the apps register in their AppConfig.ready(). core never imports the apps, so the home
page gets pipeline's deals and follow-ups, and reviews' actions, by asking HOME.
"""

from __future__ import annotations

from collections.abc import Callable

from salesflow.core.models import User

# A panel: the user looking, and what the page is about (account=…), to the context keys
# it adds (an empty dict when it has nothing for this user).
Panel = Callable[..., dict[str, object]]


class Panels:
    """The panels one page shows, in the order they were registered."""

    def __init__(self, page: str) -> None:
        self.page = page
        self._panels: list[Panel] = []

    def __repr__(self) -> str:
        names = ", ".join(f"{p.__module__}.{p.__qualname__}" for p in self._panels)
        return f"<Panels {self.page}: {names}>"

    @property
    def registered(self) -> tuple[Panel, ...]:
        return tuple(self._panels)

    def register(self, panel: Panel) -> Panel:
        """Add a panel (once: ready() may run again, as in tests that reload apps)."""
        if panel not in self._panels:
            self._panels.append(panel)
        return panel

    def context(self, user: User, **about: object) -> dict[str, object]:
        """Every panel's context for this user, merged in registration order."""
        merged: dict[str, object] = {}
        for panel in self._panels:
            merged.update(panel(user, **about))
        return merged


# The home page of each role (salesflow.core.views.home).
HOME = Panels("home")

# The profile page (salesflow.core.profile.views): pipeline adds the calendar feed's summary.
PROFILE = Panels("profile")
