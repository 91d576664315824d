"""pipeline's answers to what prospects announces (prospects.signals), connected in
PipelineConfig.ready(): work on an account reaches its deals and follow-ups without
prospects knowing pipeline exists. Each runs inside the announcing service's transaction.
"""

from __future__ import annotations

from pipeline.deals import services as deal_services
from pipeline.followups import services as followup_services
from prospects.models import Account, Conversation
from salesflow.core.models import User


def unstick_deals_after_conversation(
    sender: type[Conversation], *, conversation: Conversation, **kwargs: object
) -> None:
    """A conversation is activity on every deal of its account."""
    deal_services.opportunities_unstick(conversation.account.opportunities.all())


def propose_followup_after_conversation(
    sender: type[Conversation], *, conversation: Conversation, actor: User, **kwargs: object
) -> str | None:
    """A conversation of a kind a patience rule names proposes a follow-up (or holds the
    waiting one longer); the sentence says so to the rep who logged it."""
    proposal = followup_services.followup_after_conversation(actor=actor, conversation=conversation)
    # The Proposal itself, for callers in pipeline that want more than the sentence.
    conversation.follow_up_proposal = proposal  # type: ignore[attr-defined]
    return proposal.message() if proposal else None


def unstick_deals_after_merge(
    sender: type[Account], *, survivor: Account, **kwargs: object
) -> None:
    """The duplicate's conversations may be newer than anything on the survivor's deals."""
    deal_services.opportunities_unstick(survivor.opportunities.all())
