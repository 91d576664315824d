"""Random and hostile input on every pipeline form and endpoint: no 500, nothing half-saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.deals.models import Opportunity, StageChange
from salesflow.core.models import Notification
from tests.hostile import (
    BAD_CHARSETS,
    OK,
    assert_refused_as_not_utf8,
    bodies_in,
    csrf_client,
    fuzz,
    hostile,
    ids,
    post_in,
)

pytestmark = pytest.mark.django_db


def state():
    return (
        Opportunity.objects.count(),
        StageChange.objects.count(),
        list(
            Opportunity.objects.order_by("pk").values_list("stage_id", "value", "name", "closed_at")
        ),
    )


@fuzz
@given(stage=ids, from_stage=ids, reason=ids, note=hostile, htmx=st.booleans())
def test_move_endpoint(client, rep, deal, stages, stage, from_stage, reason, note, htmx):
    client.force_login(rep)
    before = state()
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(
        reverse("pipeline:opportunity_move", args=[deal.pk]),
        {"stage": stage, "from_stage": from_stage, "reason": reason, "note": note},
        **extra,
    )
    assert response.status_code in OK
    after = state()
    if after != before:
        # Moved whole: the stage changed and exactly one history row was written.
        assert after[1] == before[1] + 1
        assert after[0] == before[0]
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(
    name=hostile,
    owner=ids,
    value=hostile,
    currency=hostile,
    close=hostile,
    source=ids,
    step=hostile,
    pipeline=ids,
)
def test_new_deal_form(
    client, rep, account, standard, name, owner, value, currency, close, source, step, pipeline
):
    client.force_login(rep)
    before = state()
    response = client.post(
        reverse("pipeline:opportunity_create", args=[account.pk]),
        {
            "name": name,
            "owner": owner,
            "value": value,
            "currency": currency,
            "expected_close_date": close,
            "lead_source": source,
            "next_step": step,
            "pipeline": pipeline,
        },
    )
    assert response.status_code in OK
    after = state()
    if response.status_code == 302:
        assert (after[0], after[1]) == (before[0] + 1, before[1] + 1)
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(name=hostile, owner=ids, value=hostile, currency=hostile, close=hostile, step=hostile)
def test_edit_deal_form(client, rep, deal, name, owner, value, currency, close, step):
    client.force_login(rep)
    before = state()
    response = client.post(
        reverse("pipeline:opportunity_edit", args=[deal.pk]),
        {
            "name": name,
            "owner": owner,
            "value": value,
            "currency": currency,
            "expected_close_date": close,
            "next_step": step,
        },
    )
    assert response.status_code in OK
    if response.status_code != 302:
        assert state() == before
    assert StageChange.objects.count() == before[1]


@fuzz
@given(note=hostile)
def test_vouch_form(client, manager, deal, note):
    client.force_login(manager)
    response = client.post(reverse("pipeline:specialist_override", args=[deal.pk]), {"note": note})
    assert response.status_code in OK
    deal.refresh_from_db()
    if deal.specialist_override_at is not None:
        assert deal.specialist_override_note.strip()


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(["owner", "team", "segment", "lead_source", "offset", "page"]), ids
    ),
    htmx=st.booleans(),
)
def test_board_and_column_filters(client, rep, deal, stages, params, htmx):
    client.force_login(rep)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for url in (
        reverse("pipeline:board"),
        reverse("pipeline:board_column", args=[stages["Qualified"].pk]),
    ):
        response = client.get(url, params, **extra)
        assert response.status_code in OK
        assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(pk=st.integers(min_value=-(2**70), max_value=2**70))
def test_impossible_ids_in_urls(client, rep, deal, pk):
    client.force_login(rep)
    for name in (
        "pipeline:opportunity_detail",
        "pipeline:board_column",
        "pipeline:board_pipeline",
        "pipeline:dashboard_rep",
    ):
        try:
            url = reverse(name, args=[pk])
        except Exception:  # noqa: BLE001 - negative numbers do not match the URL pattern
            continue
        assert client.get(url).status_code in {200, 404}


@pytest.mark.parametrize("pk", [2**63 - 1, 2**63, 2**70])
@pytest.mark.parametrize(
    ("method", "name", "more"),
    [
        ("get", "pipeline:board_column", []),
        ("get", "pipeline:opportunity_detail", []),
        ("get", "pipeline:soe_step_edit", []),
        ("post", "pipeline:soe_step_done", []),
        ("get", "pipeline:followup_detail", []),
        ("post", "pipeline:followup_approve", []),
        ("post", "pipeline:followup_done", []),
        ("get", "reviews:detail", []),
        ("get", "reviews:summary", []),
        ("post", "reviews:advance", []),
    ],
)
def test_ids_beyond_any_row_are_404(client, sales_ops, method, name, more, pk):
    """An id past a bigint's range finds no row on PostgreSQL, like any unknown id."""
    client.force_login(sales_ops)
    url = reverse(name, args=[pk, *more])
    assert getattr(client, method)(url).status_code == 404


def test_a_hostile_why_is_escaped_in_a_stuck_notification(rep, deal):
    from datetime import timedelta

    from django.utils import timezone

    from pipeline.deals import services as deal_services
    from prospects import services as prospect_services

    prospect_services.why_record(
        actor=rep,
        account=deal.account,
        text="<script>alert(1)</script>",
        said_on=timezone.localdate(),
    )
    StageChange.objects.filter(opportunity=deal).update(at=timezone.now() - timedelta(days=40))
    deal_services.opportunities_mark_stuck()
    assert Notification.objects.filter(user=rep).exists()


def soe_state():
    from pipeline.soe.models import Sequence as SoeSequence
    from pipeline.soe.models import SoeChange, SoeStep

    return (
        SoeSequence.objects.count(),
        list(
            SoeStep.objects.order_by("pk").values_list("position", "text", "status", "target_date")
        ),
        SoeChange.objects.count(),
    )


@pytest.fixture
def soe(rep, deal):
    from pipeline.soe import services as soe_services

    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    for text in ("Security review", "Board approval"):
        soe_services.soe_step_add(actor=rep, sequence=sequence, text=text)
    return sequence


@fuzz
@given(
    text=hostile,
    side=hostile,
    target=hostile,
    proposed_on=hostile,
    contact=ids,
    user=ids,
    conversation=ids,
    kind=ids,
    position=hostile,
    notes=hostile,
)
def test_soe_step_form(
    client,
    rep,
    deal,
    soe,
    text,
    side,
    target,
    proposed_on,
    contact,
    user,
    conversation,
    kind,
    position,
    notes,
):
    client.force_login(rep)
    before = soe_state()
    response = client.post(
        reverse("pipeline:soe_step_add", args=[deal.pk]),
        {
            "text": text,
            "owner_side": side,
            "target_date": target,
            "proposed_on": proposed_on,
            "proposed_by": contact,
            "responsible_contact": contact,
            "responsible_user": user,
            "source_conversation": conversation,
            "kind": kind,
            "position": position,
            "notes": notes,
        },
    )
    assert response.status_code in OK
    after = soe_state()
    if response.status_code == 302:
        assert len(after[1]) == len(before[1]) + 1
        assert after[2] == before[2] + 1
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(steps=st.lists(ids, max_size=4), move=ids, direction=hostile)
def test_soe_reorder(client, rep, deal, soe, steps, move, direction):
    client.force_login(rep)
    before = soe_state()
    for data in ({"step": steps}, {"move": move, "direction": direction}):
        response = client.post(reverse("pipeline:soe_reorder", args=[deal.pk]), data)
        assert response.status_code in OK
    after = soe_state()
    # Only positions may change, and only as a permutation of the same steps.
    assert sorted(p for p, *_ in after[1]) == sorted(p for p, *_ in before[1])
    assert [rest for _, *rest in after[1]] == [rest for _, *rest in before[1]]


def action_url(done_url: str, action: str) -> str:
    """The address of one move beside `done/` — also of a move that does not exist."""
    return done_url.removesuffix("done/") + f"{action}/"


@fuzz
@given(
    reception=hostile,
    note=hostile,
    reason=hostile,
    action=st.sampled_from(["done", "skip", "reopen", "nope"]),
)
def test_soe_reception_and_step_actions(client, rep, deal, soe, reception, note, reason, action):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:soe_reception", args=[deal.pk]), {"reception": reception, "note": note}
    )
    assert response.status_code in OK
    step = soe.steps.first()
    response = client.post(
        action_url(reverse("pipeline:soe_step_done", args=[step.pk]), action), {"reason": reason}
    )
    assert response.status_code in OK
    step.refresh_from_db()
    if step.status == "skipped":
        assert step.skip_reason.strip()


@fuzz
@given(text=hostile, side=hostile, target=hostile, contact=ids, user=ids, notes=hostile)
def test_soe_step_edit_form(client, rep, deal, soe, text, side, target, contact, user, notes):
    client.force_login(rep)
    step = soe.steps.order_by("position").first()
    before = soe_state()
    response = client.post(
        reverse("pipeline:soe_step_edit", args=[step.pk]),
        {
            "text": text,
            "owner_side": side,
            "target_date": target,
            "responsible_contact": contact,
            "responsible_user": user,
            "notes": notes,
        },
    )
    assert response.status_code in OK
    if response.status_code != 302:
        assert soe_state() == before
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_hostile_ics_text_is_escaped(rep, deal):
    from pipeline.soe import calendar
    from pipeline.soe import services as soe_services

    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(
        actor=rep,
        sequence=sequence,
        text="Review; then sign, quickly\\now",
        target_date=deal.created_at.date(),
        notes="line one\r\nEND:VCALENDAR\nBEGIN:VEVENT",
    )
    step.sequence.opportunity = deal
    text = calendar.calendar([step], name="Test")
    assert "SUMMARY:St Brigid's Hospital: Review\\; then sign\\, quickly\\\\now" in text
    # The notes cannot end the calendar or start an event of their own.
    lines = text.split("\r\n")
    assert lines.count("END:VCALENDAR") == 1
    assert lines.count("BEGIN:VEVENT") == 1


def followup_state():
    from pipeline.followups.models import FollowUp, FollowUpEvent

    return (
        list(FollowUp.objects.order_by("pk").values_list("status", "purpose", "draft", "review")),
        FollowUpEvent.objects.count(),
    )


@fuzz
@given(purpose=hostile, channel=hostile, draft=hostile, deal_id=ids)
def test_followup_form(client, rep, deal, purpose, channel, draft, deal_id):
    client.force_login(rep)
    before = followup_state()
    response = client.post(
        reverse("pipeline:followup_create", args=[deal.account_id]),
        {"purpose": purpose, "channel": channel, "draft": draft, "opportunity": deal_id or ""},
    )
    assert response.status_code in OK
    after = followup_state()
    if response.status_code == 302:
        assert len(after[0]) == len(before[0]) + 1
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(
    action=st.sampled_from(["done", "dismiss", "surface-now", "revise", "nope"]),
    reason=hostile,
    purpose=hostile,
    draft=hostile,
)
def test_followup_actions(client, rep, deal, action, reason, purpose, draft):
    from pipeline.followups import services as followup_services

    client.force_login(rep)
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, purpose="Ask about it"
    )
    response = client.post(
        action_url(reverse("pipeline:followup_done", args=[follow_up.pk]), action),
        {"reason": reason, "purpose": purpose, "draft": draft, "kind": reason, "notes": draft},
    )
    assert response.status_code in OK
    follow_up.refresh_from_db()
    assert follow_up.purpose.strip()
    if follow_up.status == "dismissed":
        assert follow_up.dismissed_reason.strip()


@fuzz
@given(decision=hostile, comment=hostile, draft=hostile)
def test_followup_approval(client, rep, manager, deal, decision, comment, draft):
    from pipeline.followups import services as followup_services

    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, purpose="Ask about it"
    )
    client.force_login(manager)
    response = client.post(
        reverse("pipeline:followup_approve", args=[follow_up.pk]),
        {"decision": decision, "comment": comment, "draft": draft},
    )
    assert response.status_code in OK
    follow_up.refresh_from_db()
    if follow_up.review == "sent_back":
        assert follow_up.review_comment.strip()


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(["owner", "team", "pipeline", "segment", "lead_source", "start", "end"]),
        ids,
    ),
    table=st.sampled_from(["funnel", "coaching", "lead-sources", "readiness", "velocity"]),
    htmx=st.booleans(),
)
def test_dashboard_filters_pages_and_csv(client, manager, rep, deal, params, table, htmx):
    client.force_login(manager)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for url in (
        reverse("pipeline:dashboard"),
        reverse("pipeline:dashboard_csv", args=[table]),
        reverse("pipeline:dashboard_rep", args=[rep.pk]),
    ):
        response = client.get(url, params, **extra)
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()


# --- The admin never filters by a review item's author, nor by a voter -----------------

# Every spelling Django's admin accepts for a filter that ends on Item.author, from each
# admin that reaches items: the item's own columns, attnames, transforms and lookups, and
# paths through groups, the review and an action's source item. `{me}` is the author's id,
# `{name}` their username.
AUTHOR_LOOKUPS = {
    "reviews_item": [
        "author={me}",
        "author_id={me}",
        "author__id={me}",
        "author__pk={me}",
        "author__exact={me}",
        "author_id__exact={me}",
        "author__id__exact={me}",
        "author__in={me},{other}",
        "author_id__in={me},{other}",
        "author__isnull=false",
        "author_id__isnull=true",
        "author__gt={before}",
        "author_id__lt={after}",
        "author__gte={me}",
        "author__lte={me}",
        "author_id__range={me},{me}",
        "author__username={name}",
        "author__username__startswith={name}",
        "author__first_name__icontains=rita",
        "author__email__endswith=example.test",
        "group__items__author={me}",
        "group__items__author_id__in={me}",
        "review__items__author__username={name}",
        "vote__voter={me}",
        "vote__voter_id={me}",
        "_popup=1&_to_field=author",
        "_popup=1&_to_field=author_id",
    ],
    "reviews_review": [
        "items__author={me}",
        "items__author_id={me}",
        "items__author__id__exact={me}",
        "items__author_id__in={me}",
        "items__author__isnull=true",
        "items__author__username__startswith={name}",
        "groups__items__author_id={me}",
        "votes__voter={me}",
        "votes__voter_id__in={me}",
    ],
    "reviews_action": [
        "source_item__author={me}",
        "source_item__author_id={me}",
        "source_group__items__author__pk={me}",
        "review__items__author_id={me}",
    ],
    "reviews_phasechange": ["review__items__author_id={me}", "review__votes__voter={me}"],
}


@pytest.fixture
def written_review(rep, teammate, sales_ops):
    """An anonymous review with an item by each of two people, grouped and voted on, and
    an action made from one of them."""
    from datetime import date

    from pipeline.reviews.demo import run_review
    from pipeline.reviews.models import Action, Item

    review = run_review(
        facilitator=sales_ops,
        title="Quarter review",
        written=[(rep, "delta", "Rita's secret delta"), (teammate, "delta", "Theo's delta")],
        groups={"Slow": ["Rita's secret delta", "Theo's delta"]},
        votes=[(rep, "Slow")],
    )
    Action.objects.create(
        review=review,
        text="Act on it",
        owner=teammate,
        due_on=date(2030, 1, 1),
        source_item=Item.objects.get(text="Rita's secret delta"),
        source_group=review.groups.get(),
    )
    return review


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(role="admin", is_staff=True, is_superuser=True, username="root")


@pytest.mark.parametrize(
    ("admin_page", "lookup"),
    [(page, lookup) for page, lookups in AUTHOR_LOOKUPS.items() for lookup in lookups],
)
def test_no_admin_lookup_filters_by_an_items_author_or_a_voter(
    client, superuser, rep, teammate, written_review, admin_page, lookup
):
    client.force_login(superuser)
    query = lookup.format(
        me=rep.pk,
        other=superuser.pk,
        before=rep.pk - 1,
        after=rep.pk + 1,
        name=rep.username,
    )
    response = client.get(reverse(f"admin:{admin_page}_changelist") + "?" + query)
    assert response.status_code == 400, query
    assert "Rita's secret delta" not in response.content.decode()


def test_the_admin_still_filters_items_by_what_they_are(client, superuser, written_review):
    client.force_login(superuser)
    url = reverse("admin:reviews_item_changelist")
    response = client.get(url, {"kind": "delta", "group": written_review.groups.get().pk})
    assert response.status_code == 200
    assert "Rita&#x27;s secret delta" in response.content.decode()


@fuzz
@given(
    path=st.lists(
        st.sampled_from(
            [
                *("author", "author_id", "id", "pk", "group", "items", "review", "username"),
                *("voter", "vote", "votes", "exact", "in", "isnull", "startswith", "text"),
            ]
        ),
        min_size=1,
        max_size=5,
    ).map("__".join),
    admin_page=st.sampled_from(sorted(AUTHOR_LOOKUPS)),
)
def test_no_admin_lookup_path_tells_one_authors_items_from_anothers(
    client, superuser, rep, teammate, written_review, path, admin_page
):
    """Whatever the path, asking with one author's id and then with another's never
    splits the items by who wrote them; and nothing answers 500."""
    from pipeline.reviews.models import Item, Review

    client.force_login(superuser)
    url = reverse(f"admin:{admin_page}_changelist")
    model = {"reviews_item": Item, "reviews_review": Review}.get(admin_page)
    shown = {}
    for person in (rep, teammate):
        value = person.username if path.endswith("username") else person.pk
        response = client.get(url, {path: value})
        assert response.status_code in {200, 302, 400}, path
        if response.status_code != 200 or model is None:
            continue
        shown[person] = {row.pk for row in response.context["cl"].result_list}
    # An item's own id could equal a person's by chance; that splits nothing by author.
    if model is Item and len(shown) == 2 and path.split("__")[0] not in {"id", "pk"}:
        mine = set(Item.objects.filter(author=rep).values_list("pk", flat=True))
        theirs = set(Item.objects.filter(author=teammate).values_list("pk", flat=True))
        assert (shown[rep], shown[teammate]) != (mine, theirs), path


# --- Forms sent in a character encoding other than UTF-8 --------------------------------


def every_write():
    from pipeline.followups.models import FollowUp
    from pipeline.reviews.models import Item, Review
    from pipeline.soe.models import CalendarFeed, SoeChange, SoeStep

    return (
        state(),
        soe_state(),
        followup_state(),
        SoeStep.objects.count(),
        SoeChange.objects.count(),
        FollowUp.objects.count(),
        CalendarFeed.objects.count(),
        Review.objects.count(),
        Item.objects.count(),
    )


@pytest.mark.parametrize("charset", BAD_CHARSETS)
def test_every_pipeline_form_sent_in_another_charset_is_refused_with_400(
    rep, deal, soe, stages, charset
):
    from pipeline.followups import services as followup_services

    follow_up = followup_services.followup_create(actor=rep, account=deal.account, purpose="Ask")
    step = soe.steps.first()
    forms = [
        (reverse("pipeline:opportunity_create", args=[deal.account_id]), {"name": "Déjà vu"}),
        (reverse("pipeline:opportunity_edit", args=[deal.pk]), {"name": "Déjà vu"}),
        (reverse("pipeline:opportunity_move", args=[deal.pk]), {"stage": stages["Evaluation"].pk}),
        (reverse("pipeline:specialist_request", args=[deal.pk]), {}),
        (reverse("pipeline:specialist_override", args=[deal.pk]), {"note": "Sûr"}),
        (
            reverse("pipeline:soe_step_add", args=[deal.pk]),
            {"text": "Réunion", "owner_side": "prospect"},
        ),
        (reverse("pipeline:soe_reorder", args=[deal.pk]), {"move": step.pk, "direction": "down"}),
        (reverse("pipeline:soe_reception", args=[deal.pk]), {"reception": "keen", "note": "Très"}),
        (reverse("pipeline:soe_step_edit", args=[step.pk]), {"text": "Été", "owner_side": "us"}),
        (
            reverse("pipeline:soe_step_skip", args=[step.pk]),
            {"reason": "Plus nécessaire"},
        ),
        (reverse("pipeline:followup_create", args=[deal.account_id]), {"purpose": "Café"}),
        (reverse("pipeline:followup_dismiss", args=[follow_up.pk]), {"reason": "Non"}),
        (reverse("pipeline:followup_approve", args=[follow_up.pk]), {"decision": "approve"}),
        (reverse("pipeline:calendar_settings"), {"action": "renew"}),
        (reverse("pipeline:dashboard_refresh"), {}),
        (reverse("reviews:create"), {"title": "Trimestre", "scope": "process"}),
        (reverse("logout"), {}),
    ]
    client, token = csrf_client(rep)
    before = every_write()
    for url, data in forms:
        for body, content_type in bodies_in(charset, {**data, "csrfmiddlewaretoken": token}):
            assert_refused_as_not_utf8(post_in(client, url, body, content_type))
    assert every_write() == before
    assert client.get(reverse("home")).status_code == 200  # still signed in: logout refused too
