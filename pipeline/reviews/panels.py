"""Reviews' panel on the home page (salesflow.core.panels), registered in
ReviewsConfig.ready(): everyone's open review actions."""

from __future__ import annotations

from pipeline.reviews import selectors
from salesflow.core.models import User


def home(user: User, **about: object) -> dict[str, object]:
    return {"review_actions": selectors.open_actions_for(user=user)}
