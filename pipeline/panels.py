"""pipeline's panels on pages it does not own (salesflow.core.panels), registered in
PipelineConfig.ready(): the home page's deals and follow-ups per role, and the account
page's deals and follow-ups. The keys are the ones the templates read."""

from __future__ import annotations

from pipeline import selectors
from prospects.models import Account
from salesflow.core.models import User


def home(user: User, **about: object) -> dict[str, object]:
    if user.is_rep:
        return {
            "stuck_deals": selectors.stuck_for_owner(user=user),
            "due_followups": selectors.followups_due(user=user),
            "held_followups": selectors.followups_held(user=user),
        }
    if user.is_manager:
        return {
            "to_review": selectors.followups_to_review(user=user),
            "broken": selectors.patience_broken(user=user),
        }
    return {}


def account(user: User, *, account: Account, **about: object) -> dict[str, object]:
    return {
        "opportunities": selectors.account_opportunities(account=account),
        "followups": selectors.account_followups(account=account),
    }
