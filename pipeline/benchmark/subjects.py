"""Who and what to measure, found by querying the data set: the harness must work on any
data set (seed_scale's, a copy of production, any other), so nothing here
relies on names or prefixes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import Lower

from pipeline.deals import access as deal_access
from pipeline.deals import selectors as deal_selectors
from pipeline.deals.models import Opportunity, Pipeline, StageChange
from pipeline.reviews.models import Review
from pipeline.soe.models import SoeStep
from prospects import access as prospect_access
from prospects.models import Account, Conversation, Segment
from salesflow.core import selectors as core_selectors
from salesflow.core.models import Team, User


class NothingToMeasure(Exception):
    """The data set lacks something the harness cannot do without (an admin, a busy rep)."""


@dataclass(frozen=True)
class Subjects:
    admin: User
    rep: User
    manager: User | None  # the rep's team's manager, for the team-scoped dashboard
    team: Team | None
    pipelines: list[Pipeline]
    biggest_account: Account
    long_history_deal: Opportunity
    soe_deal: Opportunity | None  # None: no deal the rep sees has an SOE
    review: Review | None  # None: no finished review in the data set
    review_user: User | None  # a participant of that review (the rep when invited)
    segment: Segment | None  # narrows the filtered account list
    search_term: str
    common_word: str  # a word of many notes, steps and purposes: the heaviest search
    # What made each pick, for the report ("owns 2,619 open deals", …).
    facts: dict[str, object] = field(default_factory=dict)


def find_admin() -> User:
    """An active admin by role, else an active superuser; the lowest id, so reruns agree."""
    active = User.objects.filter(is_active=True)
    admin = (
        active.filter(role=User.Role.ADMIN).order_by("pk").first()
        or active.filter(is_superuser=True).order_by("pk").first()
    )
    if admin is None:
        raise NothingToMeasure("No active admin (role admin or superuser) to measure as.")
    return admin


def find_busy_rep() -> tuple[User, int]:
    """The active rep who owns the most open deals: the heaviest board and Today page."""
    rep = (
        User.objects.filter(is_active=True, role=User.Role.REP)
        .annotate(
            open_deals=Count("opportunities", filter=Q(opportunities__closed_at__isnull=True))
        )
        .order_by("-open_deals", "pk")
        .first()
    )
    if rep is None or rep.open_deals == 0:
        raise NothingToMeasure("No active rep owns an open deal: nothing to measure as a rep.")
    return rep, rep.open_deals


def find_manager(rep: User) -> tuple[Team | None, User | None]:
    """The rep's team and its manager (the team's named manager, else one in the team)."""
    team = core_selectors.team_of(user=rep)
    if team is None:
        return None, None
    if team.manager is not None and team.manager.is_active:
        return team, team.manager
    manager = (
        User.objects.filter(is_active=True, role=User.Role.MANAGER, team=team)
        .order_by("pk")
        .first()
    )
    return team, manager


def find_biggest_account(rep: User) -> tuple[Account, int]:
    """The account with the most conversations among those the rep may open, so that the
    admin and the rep request the same page."""
    visible = prospect_access.accounts_visible_to(rep)
    top = (
        Conversation.objects.filter(account__in=visible.values("pk"))
        .values("account")
        .annotate(talks=Count("pk"))
        .order_by("-talks", "account")
        .first()
    )
    if top is None:
        account = visible.order_by("pk").first()
        if account is None:
            raise NothingToMeasure(f"The rep {rep.username} sees no account.")
        return account, 0
    return Account.objects.get(pk=top["account"]), top["talks"]


def find_long_history_deal(rep: User) -> tuple[Opportunity, int]:
    """Among the rep's own deals, the one with the longest stage history."""
    top = (
        StageChange.objects.filter(opportunity__owner=rep)
        .values("opportunity")
        .annotate(moves=Count("pk"))
        .order_by("-moves", "opportunity")
        .first()
    )
    if top is None:
        raise NothingToMeasure(f"The rep {rep.username} owns no deal with a stage history.")
    return Opportunity.objects.get(pk=top["opportunity"]), top["moves"]


def find_soe_deal(rep: User) -> tuple[Opportunity | None, int]:
    """The deal with the most SOE steps among those the rep may open."""
    visible = deal_access.opportunities_visible_to(rep)
    top = (
        SoeStep.objects.filter(sequence__opportunity__in=visible.values("pk"))
        .values("sequence__opportunity")
        .annotate(steps=Count("pk"))
        .order_by("-steps", "sequence__opportunity")
        .first()
    )
    if top is None:
        return None, 0
    return Opportunity.objects.get(pk=top["sequence__opportunity"]), top["steps"]


def find_finished_review(rep: User) -> tuple[Review | None, User | None, int]:
    """The finished review (in its summary phase) with the most items, and who else than
    the admin opens it: the rep if invited, else its first participant."""
    review = (
        Review.objects.filter(phase=Review.Phase.SUMMARY)
        .annotate(item_count=Count("items"))
        .order_by("-item_count", "-pk")
        .first()
    )
    if review is None:
        return None, None, 0
    participants = User.objects.filter(is_active=True, pk__in=review.participants.values("user"))
    user = participants.filter(pk=rep.pk).first() or participants.order_by("pk").first()
    return review, user, review.item_count


def find_search_term(account: Account) -> str:
    """A word people would type: the first all-letter word of four or more in the biggest
    account's name (a place or a kind of organisation), else the commonest such word in
    account names. Generated names carry numbered tags that nobody searches for."""
    for word in account.name.split():
        if re.fullmatch(r"[^\W\d_]{4,}", word):
            return word.lower()
    names = Account.objects.annotate(low=Lower("name")).values_list("low", flat=True)[:2000]
    counts: dict[str, int] = {}
    for name in names:
        for word in name.split():
            if re.fullmatch(r"[^\W\d_]{4,}", word):
                counts[word] = counts.get(word, 0) + 1
    return max(counts, key=lambda word: (counts[word], word)) if counts else "a"


def find_common_word() -> str:
    """The commonest all-letter word of five or more in the first conversation notes: what
    a search for a word of the trade ("pilot", "budget") meets across millions of rows."""
    counts: dict[str, int] = {}
    notes = Conversation.objects.order_by("pk").values_list("notes", flat=True)[:2000]
    for text in notes:
        for word in set(re.findall(r"[^\W\d_]{5,}", text.lower())):
            counts[word] = counts.get(word, 0) + 1
    return max(counts, key=lambda word: (counts[word], word)) if counts else "notes"


def find_subjects() -> Subjects:
    admin = find_admin()
    rep, open_deals = find_busy_rep()
    team, manager = find_manager(rep)
    account, talks = find_biggest_account(rep)
    deal, moves = find_long_history_deal(rep)
    soe_deal, steps = find_soe_deal(rep)
    review, review_user, items = find_finished_review(rep)
    segment = account.segment or Segment.objects.order_by("name", "pk").first()
    return Subjects(
        admin=admin,
        rep=rep,
        manager=manager,
        team=team,
        pipelines=list(deal_selectors.pipelines().order_by("pk")),
        biggest_account=account,
        long_history_deal=deal,
        soe_deal=soe_deal,
        review=review,
        review_user=review_user,
        segment=segment,
        search_term=find_search_term(account),
        common_word=find_common_word(),
        facts={
            "admin": admin.username,
            "rep": rep.username,
            "rep_open_deals": open_deals,
            "manager": manager.username if manager else None,
            "team": team.name if team else None,
            "biggest_account": {"pk": account.pk, "conversations": talks},
            "long_history_deal": {"pk": deal.pk, "stage_changes": moves},
            "soe_deal": {"pk": soe_deal.pk, "steps": steps} if soe_deal else None,
            "review": {"pk": review.pk, "items": items} if review else None,
            "review_user": review_user.username if review_user else None,
        },
    )
