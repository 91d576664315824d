"""pipeline's panels on pages it does not own (salesflow.core.panels), registered in
PipelineConfig.ready(): the home page's deals, follow-ups and (a rep's) appointments per
role, the account page's deals, follow-ups and appointments, and the profile page's calendar
feed. The keys are the ones the templates read."""

from __future__ import annotations

from pipeline.appointments import selectors as appointment_selectors
from pipeline.deals import selectors as deal_selectors
from pipeline.followups import selectors as followup_selectors
from pipeline.soe import selectors as soe_selectors
from prospects.models import Account
from salesflow.core.models import User


def home(user: User, **about: object) -> dict[str, object]:
    if user.is_rep:
        return {
            "stuck_deals": deal_selectors.stuck_for_owner(user=user),
            "due_followups": followup_selectors.followups_due(user=user),
            "held_followups": followup_selectors.followups_held(user=user),
            "upcoming_appointments": appointment_selectors.upcoming_for_owner(user=user),
        }
    if user.is_manager:
        return {
            "to_approve": followup_selectors.followups_to_approve(user=user),
            "broken": followup_selectors.patience_broken(user=user),
        }
    return {}


def account(user: User, *, account: Account, **about: object) -> dict[str, object]:
    return {
        "opportunities": deal_selectors.account_opportunities(account=account),
        "followups": followup_selectors.account_followups(account=account),
        "appointments": appointment_selectors.upcoming_for_account(account=account),
    }


def profile(user: User, **about: object) -> dict[str, object]:
    # The section is shown whether or not a feed is on ("calendar_feed" is then None).
    return {
        "calendar_feed_section": True,
        "calendar_feed": soe_selectors.calendar_feed_of(user=user),
    }
