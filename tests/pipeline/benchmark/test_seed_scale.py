"""seed_scale at --size small: exact counts, the rules the services keep, pages that answer.

The data set is loaded once for the module (committed, then flushed away at the end and the
database put back as the migrations left it, as a transactional test with serialized
rollback does) and the tests read it inside their own rolled-back transactions.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Min, OuterRef, Subquery
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pipeline.benchmark import scale
from pipeline.deals import flow
from pipeline.deals import selectors as deal_selectors
from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity, StageChange
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.reviews.models import NEXT_PHASE, Review, Vote
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeChange, SoeStep
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    AccountEvent,
    Contact,
    Conversation,
    WhyNote,
)
from salesflow.core.models import Notification, Team, User
from tests.shipped import put_back_shipped_rows

pytestmark = pytest.mark.django_db

SMALL = scale.SIZES["small"]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, _shipped):
    """The small data set, loaded through the command; yields (printed output, schema of
    the loaded tables before the load)."""
    with django_db_blocker.unblock():
        # A transactional test that ran before on this worker flushed what the migrations
        # wrote (the question library the seed asks from): put it back first.
        put_back_shipped_rows(_shipped)
        before = scale.schema_of(list(scale.COPY_TABLES))
        out = StringIO()
        call_command("seed_scale", size="small", stdout=out)
        yield out.getvalue(), before
        # The tests that run after this module still expect what the migrations wrote.
        put_back_shipped_rows(_shipped)


def scale_deals():
    return Opportunity.objects.filter(name__startswith=scale.PREFIX)


def busiest_rep() -> User:
    reps = User.objects.filter(username__startswith=scale.PREFIX, role=User.Role.REP)
    return reps.annotate(n=Count("owned_accounts")).order_by("-n", "username").first()


def test_counts_equal_the_size_table_and_the_report_says_so(loaded):
    printed, _ = loaded
    counts = scale.counts()
    for name, expected in scale.expected_counts(SMALL).items():
        assert counts[name] == expected, name
    for table in ("prospects_conversation", "pipeline_followupevent", "pipeline_stagechange"):
        assert f"{table} " in printed
    assert "expected" not in printed  # no count differs from the size table
    assert "Loaded " in printed
    assert " rows in " in printed
    # Derived tables are filled too.
    assert counts["prospects_accountevent"] > SMALL.conversations
    assert counts["prospects_conversation_contacts"] >= SMALL.conversations
    assert counts["pipeline_soechange"] >= SMALL.sequences
    assert counts["pipeline_followupevent"] > SMALL.followups


def test_every_index_and_constraint_is_back_identical(loaded):
    _, before = loaded
    assert scale.schema_of(list(scale.COPY_TABLES)) == before


def test_people_teams_and_skewed_ownership(loaded):
    assert Team.objects.filter(name__startswith=scale.PREFIX).count() == SMALL.teams
    users = User.objects.filter(username__startswith=scale.PREFIX)
    roles = Counter(users.values_list("role", flat=True))
    assert roles == {"rep": SMALL.reps, "manager": SMALL.teams, "sales_ops": 1, "admin": 1}
    for team in Team.objects.filter(name__startswith=scale.PREFIX):
        assert team.manager.team_id == team.pk
        assert team.members.filter(role="rep").exists()
    assert not users.filter(role="rep", team__isnull=True).exists()
    owned = sorted(
        users.filter(role="rep").annotate(n=Count("owned_accounts")).values_list("n", flat=True)
    )
    assert owned[-1] >= 5 * max(owned[0], 1)  # a few reps own far more than others


def test_a_few_big_accounts_and_many_small_ones(loaded):
    accounts = Account.objects.filter(name__startswith=scale.PREFIX)
    talks = list(accounts.annotate(n=Count("conversations")).values_list("n", flat=True))
    deals = list(accounts.annotate(n=Count("opportunities")).values_list("n", flat=True))
    assert max(talks) >= 10 * statistics.median(talks)
    assert max(deals) >= 5 * statistics.mean(deals)
    assert min(talks) >= 1
    assert not accounts.filter(contacts__isnull=True).exists()


def test_deal_histories_keep_the_rules_of_the_services(loaded):
    deals = scale_deals()
    first = StageChange.objects.filter(opportunity=OuterRef("pk")).order_by("at", "pk")
    last = StageChange.objects.filter(opportunity=OuterRef("pk")).order_by("-at", "-pk")
    shaped = deals.annotate(
        first_at=Subquery(first.values("at")[:1]),
        first_note=Subquery(first.values("note")[:1]),
        first_from=Subquery(first.values("from_stage")[:1]),
        last_to=Subquery(last.values("to_stage")[:1]),
        last_at=Subquery(last.values("at")[:1]),
        last_reason=Subquery(last.values("reason")[:1]),
    )
    assert not shaped.exclude(created_at=F("first_at")).exists()
    assert set(shaped.values_list("first_note", "first_from").distinct()) == {("Deal opened", None)}
    assert StageChange.objects.filter(opportunity__in=deals, from_stage=None).count() == (
        SMALL.opportunities
    )
    assert not shaped.exclude(stage=F("last_to")).exists()
    open_deals = deals.filter(closed_at__isnull=True)
    assert open_deals.count() == SMALL.open_opportunities
    assert not open_deals.exclude(stage__outcome="open").exists()
    assert not open_deals.exclude(close_reason=None).exists()
    closed = shaped.filter(closed_at__isnull=False).select_related("stage", "close_reason")
    assert {deal.stage.outcome for deal in closed} == {"won", "lost"}
    kinds = set()
    for deal in closed:
        assert deal.stage.is_closed
        assert deal.close_reason is not None
        assert deal.close_reason.fits(deal.stage.outcome)
        assert deal.closed_at == deal.last_at
        assert deal.last_reason == deal.close_reason_id
        kinds.add(deal.close_reason.kind)
    assert kinds == {"won", "lost", "disqualified"}
    # Moves are in order, each from where the deal was, and only the last closes it.
    changes = defaultdict(list)
    for change in StageChange.objects.filter(opportunity__in=deals).select_related("to_stage"):
        changes[change.opportunity_id].append(change)
    for history in changes.values():
        history.sort(key=lambda change: (change.at, change.pk))
        for before, after in itertools.pairwise(history):
            assert after.at > before.at
            assert after.from_stage_id == before.to_stage_id
            assert not before.to_stage.is_closed
            assert before.reason_id is None
    # Some deals skip a stage, some go back, and one has a long story.
    assert max(len(history) for history in changes.values()) >= 20
    skips = StageChange.objects.filter(
        opportunity__in=deals,
        from_stage__outcome="open",
        to_stage__outcome="open",
        to_stage__position__gt=F("from_stage__position") + 1,
    )
    backs = StageChange.objects.filter(
        opportunity__in=deals,
        to_stage__outcome="open",
        to_stage__position__lt=F("from_stage__position"),
    )
    assert skips.exists()
    assert backs.exists()


def test_every_write_is_by_someone_the_services_allow(loaded):
    """Accounts are edited by their owner, the owner's manager or sales ops; deals by their
    owner or the manager; a follow-up is also closed by its own owner."""
    from salesflow.core.access import can_edit_owned

    users = {user.pk: user for user in User.objects.filter(username__startswith=scale.PREFIX)}
    accounts = Account.objects.filter(name__startswith=scale.PREFIX)
    deals = scale_deals()
    followups = FollowUpEvent.objects.filter(follow_up__account__in=accounts).exclude(by=None)
    on_accounts = {
        *Conversation.objects.filter(account__in=accounts).values_list(
            "logged_by", "account__owner"
        ),
        *WhyNote.objects.filter(account__in=accounts).values_list("recorded_by", "account__owner"),
        *AccountEvent.objects.filter(account__in=accounts).values_list("actor", "account__owner"),
        *StageChange.objects.filter(opportunity__in=deals, from_stage=None).values_list(
            "by", "opportunity__account__owner"
        ),
        *followups.filter(action="held").values_list("by", "follow_up__account__owner"),
    }
    on_deals = {
        *StageChange.objects.filter(opportunity__in=deals)
        .exclude(from_stage=None)
        .values_list("by", "opportunity__owner"),
        *SoeChange.objects.filter(sequence__opportunity__in=deals).values_list(
            "by", "sequence__opportunity__owner"
        ),
    }
    assert len(on_accounts) > SMALL.reps
    for actor, owner in on_accounts | on_deals:
        assert can_edit_owned(users[actor], users[owner]), (actor, owner)
    for actor, owner, account_owner in followups.exclude(action="held").values_list(
        "by", "follow_up__owner", "follow_up__account__owner"
    ):
        assert actor == owner or can_edit_owned(users[actor], users[account_owner])
    # Some deals are run by a teammate of the account's owner (a manager handed them over).
    assert deals.exclude(owner=F("account__owner")).exists()


def test_flow_facts_are_what_refresh_computes(loaded):
    deals = scale_deals()
    fields = ["furthest_rank", "qualified_at", *(f"qualified_{a}" for a in flow.ANSWERS)]
    before = {row["pk"]: row for row in deals.values("pk", *fields)}
    left = dict(StageChange.objects.filter(opportunity__in=deals).values_list("pk", "left_at"))
    assert any(row["qualified_at"] for row in before.values())
    flow.refresh(Opportunity, StageChange, ids=list(before))
    assert {row["pk"]: row for row in deals.values("pk", *fields)} == before
    after = StageChange.objects.filter(opportunity__in=deals).values_list("pk", "left_at")
    assert dict(after) == left


def test_the_stuck_check_has_run_and_told_each_owner_once(loaded):
    stuck = set(deal_selectors.stuck_opportunities(scale_deals()).values_list("pk", flat=True))
    found = set(scale_deals().filter(stuck_since__isnull=False).values_list("pk", flat=True))
    assert stuck
    assert found == stuck
    told = Notification.objects.filter(kind=Notification.Kind.STUCK_DEAL)
    assert told.count() == len(stuck)
    assert deal_services.opportunities_mark_stuck() == (0, 0)  # nothing left to find or tell


def test_readiness_answers_are_what_conversation_log_leaves(loaded):
    """The account keeps each question's latest answer and when it changed; every stage
    change snapshots the answers the account had at that moment."""
    accounts = Account.objects.filter(name__startswith=scale.PREFIX)
    talks = defaultdict(list)
    for talk in Conversation.objects.filter(account__in=accounts).order_by("occurred_at", "pk"):
        talks[talk.account_id].append(talk)
    timelines = {}
    for account in accounts:
        state = {field: ("unknown", None) for field, _ in READINESS_QUESTIONS}
        timeline = []
        for talk in talks[account.pk]:
            for field, _ in READINESS_QUESTIONS:
                answer = getattr(talk, field)
                if answer != "unknown" and answer != state[field][0]:
                    state[field] = (answer, talk.occurred_at)
            timeline.append((talk.occurred_at, {f: a for f, (a, _) in state.items()}))
        timelines[account.pk] = timeline
        for field, (answer, changed_at) in state.items():
            assert getattr(account, field) == answer
            assert getattr(account, f"{field}_changed_at") == changed_at
    checked = 0
    for change in StageChange.objects.filter(opportunity__in=scale_deals()).select_related(
        "opportunity"
    )[:3000]:
        timeline = timelines[change.opportunity.account_id]
        seen = [answers for at, answers in timeline if at <= change.at]
        expected = seen[-1] if seen else dict.fromkeys(flow.ANSWERS, "unknown")
        assert {field: getattr(change, field) for field in flow.ANSWERS} == expected
        checked += 1
    assert checked == 3000
    assert accounts.filter(has_problem="yes").exists()
    assert accounts.filter(has_problem="no").exists()


def test_each_contact_s_latest_conversation_is_what_the_links_say(loaded):
    """The triggers that keep Contact.last_conversation_at see the COPY of the links."""
    latest = (
        Conversation.objects.filter(contacts=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    contacts = Contact.objects.filter(account__name__startswith=scale.PREFIX).annotate(
        expected=Subquery(latest)
    )
    assert contacts.filter(last_conversation_at__isnull=False).exists()
    assert (
        not contacts.exclude(last_conversation_at=F("expected"))
        .exclude(last_conversation_at__isnull=True, expected__isnull=True)
        .exists()
    )


def test_the_account_timeline_has_an_event_for_everything_it_shows(loaded):
    accounts = Account.objects.filter(name__startswith=scale.PREFIX)
    events = AccountEvent.objects.filter(account__in=accounts)
    created = events.filter(kind="created")
    assert created.count() == SMALL.accounts
    assert not accounts.exclude(
        created_at=Subquery(created.filter(account=OuterRef("pk")).values("occurred_at")[:1])
    ).exists()
    talks = Conversation.objects.filter(account__in=accounts)
    assert events.filter(kind="conversation").count() == talks.count()
    assert (
        not events.filter(kind="conversation")
        .exclude(
            account=F("conversation__account"),
            occurred_at=F("conversation__occurred_at"),
            actor=F("conversation__logged_by"),
        )
        .exists()
    )
    whys = WhyNote.objects.filter(account__in=accounts)
    assert events.filter(kind="why").count() == whys.count() > 0
    assert (
        not events.filter(kind="why")
        .exclude(account=F("why_note__account"), occurred_at=F("why_note__created_at"))
        .exists()
    )
    # Status changes, as account_update records them.
    changed = accounts.exclude(status="prospect")
    assert events.filter(kind="status").count() == changed.count()
    assert accounts.filter(status="customer").exists()
    assert (
        not accounts.filter(status="customer").exclude(opportunities__stage__outcome="won").exists()
    )
    assert not accounts.filter(status="disqualified", disqualified_reason="").exists()
    # Conversations are linked to their account's own contacts.
    assert not talks.filter(contacts__isnull=True).exists()
    through = Conversation.contacts.through.objects.filter(conversation__in=talks)
    assert not through.exclude(contact__account=F("conversation__account")).exists()
    asked = Conversation.questions_asked.through.objects.filter(conversation__in=talks)
    assert asked.exists()
    assert not asked.exclude(facilitativequestion__kind=F("conversation__kind")).exists()
    assert not talks.exclude(created_at=F("occurred_at")).exists()
    assert not talks.filter(occurred_at__gt=timezone.now()).exists()


def test_soes_keep_the_history_the_soe_services_write(loaded):
    sequences = SoeSequence.objects.filter(opportunity__name__startswith=scale.PREFIX)
    assert sequences.count() == SMALL.sequences
    steps = SoeStep.objects.filter(sequence__in=sequences)
    changes = SoeChange.objects.filter(sequence__in=sequences)
    started = changes.filter(action="started")
    assert started.count() == SMALL.sequences
    assert not sequences.exclude(
        created_at=Subquery(started.filter(sequence=OuterRef("pk")).values("at")[:1])
    ).exists()
    first = sequences.annotate(first=Min("changes__at"))
    assert not first.exclude(first=F("created_at")).exists()
    today = timezone.localdate()
    for sequence in sequences.select_related("template").prefetch_related("steps"):
        ordered = sorted(sequence.steps.all(), key=lambda step: step.position)
        assert [step.position for step in ordered] == list(range(len(ordered)))
        if sequence.template:
            seeds = list(sequence.template.steps.order_by("position", "pk"))
            assert [step.text for step in ordered[: len(seeds)]] == [s.text for s in seeds]
    assert not steps.filter(status="done", done_on__isnull=True).exists()
    assert not steps.filter(done_on__gt=today).exists()
    assert not steps.filter(proposed_on__gt=today).exists()
    assert (
        not steps.exclude(responsible_contact=None)
        .exclude(responsible_contact__account=F("sequence__opportunity__account"))
        .exists()
    )
    assert (
        not steps.exclude(source_conversation=None)
        .exclude(source_conversation__account=F("sequence__opportunity__account"))
        .exists()
    )
    for action, status in (("done", "done"), ("skipped", "skipped")):
        assert changes.filter(action=action).count() == steps.filter(status=status).count() > 0
    moved = steps.exclude(target_date=F("first_target_date"))
    assert changes.filter(action="date_moved").count() == moved.count() > 0
    assert (
        not changes.filter(action="date_moved")
        .exclude(old_target_date=F("step__first_target_date"))
        .exists()
    )
    added = changes.filter(action="added").values_list("step_id", flat=True)
    assert set(added) == set(steps.exclude(proposed_by=None).values_list("pk", flat=True))
    shared = sequences.exclude(reception="not_shared")
    assert changes.filter(action="reception").count() == shared.count() > 0
    assert not sequences.filter(reception="not_shared", reception_at__isnull=False).exists()
    assert not changes.filter(at__gt=timezone.now()).exists()


def test_followups_hold_surface_and_close_as_the_services_do(loaded):
    followups = FollowUp.objects.filter(account__name__startswith=scale.PREFIX)
    now = timezone.now()
    assert followups.count() == SMALL.followups
    assert set(followups.values_list("status", flat=True).distinct()) == {
        "held",
        "surfaced",
        "done",
        "dismissed",
    }
    held = followups.filter(status="held")
    assert held.count() == SMALL.held_followups
    assert held.filter(surface_at__lte=now).count() == SMALL.due_followups
    assert not held.exclude(surfaced_at=None).exists()
    assert not followups.exclude(status="held").filter(surfaced_at=None).exists()
    assert not followups.filter(status__in=["done", "dismissed"], closed_at=None).exists()
    assert not followups.filter(status="dismissed", dismissed_reason="").exists()
    assert not followups.filter(purpose="").exists()
    assert (
        not followups.exclude(opportunity=None)
        .exclude(account=F("opportunity__account"), owner=F("opportunity__owner"))
        .exists()
    )
    assert not followups.filter(opportunity=None).exclude(owner=F("account__owner")).exists()
    assert not held.filter(opportunity__closed_at__isnull=False).exists()
    events = FollowUpEvent.objects.filter(follow_up__in=followups)
    by_followup = defaultdict(list)
    for event in events.order_by("at", "pk"):
        by_followup[event.follow_up_id].append(event)
    for follow_up in followups.select_related("account"):
        history = by_followup[follow_up.pk]
        actions = [event.action for event in history]
        assert actions[0] == "held"
        assert history[0].at == follow_up.created_at
        assert history[0].by_id in {None, follow_up.account.owner_id}
        if follow_up.status == "held":
            assert actions == ["held"]
        else:
            assert actions[1] in {"surfaced", "surfaced early"}
            assert history[1].at == follow_up.surfaced_at
            assert (actions[1] == "surfaced early") == bool(follow_up.surfaced_early_reason)
            assert actions[2:] == ([] if follow_up.status == "surfaced" else [follow_up.status])
        if follow_up.holds:
            (hold,) = follow_up.holds
            assert datetime.fromisoformat(hold["until"]) == follow_up.surface_at
            assert follow_up.surface_at > follow_up.created_at
            assert follow_up.end_of_quarter == (hold["rule"] == "end_of_quarter")
        else:
            assert follow_up.surface_at == follow_up.created_at
    assert followups.filter(proposed=True).exists()


def test_reviews_are_finished_with_votes_within_the_allowance(loaded):
    reviews = Review.objects.filter(title__startswith=scale.PREFIX)
    assert reviews.count() == SMALL.reviews
    assert set(reviews.values_list("scope", flat=True)) == set(Review.Scope.values)
    order = list(NEXT_PHASE.items())
    for review in reviews:
        assert review.phase == Review.Phase.SUMMARY
        moves = list(review.phase_changes.values_list("from_phase", "to_phase"))
        assert moves == order
        assert review.created_at < timezone.now() - timezone.timedelta(days=7)
        items = review.items.exclude(kind="fact")
        assert not items.filter(revealed_at=None).exists()
        reveal = sorted(items.values_list("reveal_order", flat=True))
        assert reveal == list(range(1, len(reveal) + 1))
        plusses = items.filter(kind="plus").aggregate(last=Max("reveal_order"))["last"]
        deltas = items.filter(kind="delta").aggregate(first=Min("reveal_order"))["first"]
        assert plusses < deltas  # plusses first, round the room, then deltas
        assert review.groups.exists()
        spent = Vote.objects.filter(review=review).values("voter").annotate(n=Count("pk"))
        assert all(row["n"] <= review.votes_each for row in spent)
        assert review.actions.exists()
        assert not review.actions.filter(due_on=None).exists()
        participants = set(review.participants.values_list("user_id", flat=True))
        assert set(review.actions.values_list("owner_id", flat=True)) <= participants


PAGES = [
    "account",
    "accounts",
    "contacts",
    "deal",
    "soe",
    "board",
    "dashboard",
    "reviews",
    "review",
    "review summary",
]


@pytest.mark.parametrize("who", ["rep", "admin"])
def test_pages_answer_for_a_scale_rep_and_the_scale_admin(loaded, who):
    rep = busiest_rep()
    user = rep if who == "rep" else User.objects.get(username=f"{scale.PREFIX}admin")
    account = (
        Account.objects.filter(owner=rep)
        .annotate(n=Count("conversations"))
        .order_by("-n", "pk")
        .first()
    )
    deal = scale_deals().filter(owner=rep, soe__isnull=False).order_by("pk").first()
    review = Review.objects.filter(title__startswith=scale.PREFIX, participants__user=rep).first()
    assert review is not None, "the busiest rep takes part in a review"
    urls = {
        "account": reverse("prospects:account_detail", args=[account.pk]),
        "accounts": reverse("prospects:account_list") + "?sort=-open_value",
        "contacts": reverse("prospects:contact_list") + "?sort=-last_conversation",
        "deal": reverse("pipeline:opportunity_detail", args=[deal.pk]),
        "soe": reverse("pipeline:soe", args=[deal.pk]),
        "board": reverse("pipeline:board"),
        "dashboard": reverse("pipeline:dashboard"),
        "reviews": reverse("reviews:list"),
        "review": reverse("reviews:detail", args=[review.pk]),
        "review summary": reverse("reviews:summary", args=[review.pk]),
    }
    client = Client()
    client.force_login(user)
    for name in PAGES:
        response = client.get(urls[name], secure=True)
        assert response.status_code == 200, (name, who, response.status_code)
    page = client.get(urls["account"], secure=True).content.decode()
    assert account.name in page


def test_refuses_to_load_twice_without_replace(loaded):
    with pytest.raises(CommandError, match="already loaded"):
        call_command("seed_scale", size="small", stdout=StringIO())
    assert Account.objects.filter(name__startswith=scale.PREFIX).count() == SMALL.accounts


def fingerprint() -> tuple:
    accounts = Account.objects.filter(name__startswith=scale.PREFIX).order_by("name")
    return (
        list(
            accounts.annotate(talks=Count("conversations", distinct=True)).values_list(
                "name", "owner__username", "status", "has_problem", "talks"
            )
        ),
        list(
            scale_deals()
            .annotate(moves=Count("stage_changes"))
            .order_by("name")
            .values_list("name", "stage__name", "value", "moves", "owner__username")
        ),
        sorted(
            FollowUp.objects.filter(account__name__startswith=scale.PREFIX).values_list(
                "account__name", "status", "purpose"
            )
        ),
    )


def test_replace_loads_the_same_data_set_again_for_the_same_seed(loaded):
    """With every index kept in place this time: both ways of loading give the same rows."""
    before = fingerprint()
    call_command("seed_scale", size="small", replace=True, keep_indexes=True, stdout=StringIO())
    counts = scale.counts()
    for name, expected in scale.expected_counts(SMALL).items():
        assert counts[name] == expected, name
    assert fingerprint() == before


def test_the_size_table_states_every_number_once():
    rows = {name: (large, small) for name, large, small in scale.size_table()}
    assert rows["accounts"] == (100_000, 1_000)
    assert rows["conversations"] == (2_000_000, 20_000)
    assert rows["stage_changes"] == (800_000, 8_000)
    assert rows["due_followups"] == (5_000, 50)
    json.dumps(rows)  # plain numbers, printable anywhere
