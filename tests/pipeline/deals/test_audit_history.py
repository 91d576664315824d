"""The audit history of a deal: each door leaves one event with its user, door and old → new."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from pipeline.deals.models import Opportunity
from salesflow.core.apitokens.services import apitoken_create
from salesflow.core.audit.context import audit_context
from salesflow.core.audit.selectors import object_history
from salesflow.core.audit.tracking import EVENT_MODELS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _value_changes(deal):
    changes, _ = object_history(deal)
    return [change for change in changes if change.action == "changed"]


def _edit_form(deal, **values):
    form = {
        "name": deal.name,
        "owner": deal.owner_id,
        "value": deal.value,
        "currency": deal.currency,
        "expected_close_date": "",
        "lead_source": "",
        "next_step": deal.next_step,
        "pipeline": deal.pipeline_id,
    }
    form.update(values)
    return form


def test_an_edit_from_the_deal_page_is_one_event_with_its_user_and_old_and_new_value(
    client, rep, deal
):
    Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("16000"))
    EVENT_MODELS[Opportunity].objects.all().delete()
    client.force_login(rep)

    response = client.post(
        reverse("pipeline:opportunity_edit", args=[deal.pk]), _edit_form(deal, value="17500")
    )

    assert response.status_code == 302
    [change] = _value_changes(deal)
    assert change.actor == rep
    assert change.actor_name == rep.display_name
    assert (change.door, change.door_detail) == ("page", f"/deals/{deal.pk}/edit/")
    assert change.door_label == "from the deal page"
    assert [(f.name, f.label, f.old, f.new) for f in change.fields] == [
        ("value", "Value", "16,000", "17,500")
    ]
    assert change.model == "pipeline.opportunity"
    assert change.model_label == "Deal"
    assert change.object_label == deal.name


def test_a_save_that_changes_nothing_tracked_leaves_no_event(rep, deal):
    events = EVENT_MODELS[Opportunity].objects.filter(pgh_obj_id=deal.pk)
    before = events.count()
    deal.save()  # updated_at only
    Opportunity.objects.filter(pk=deal.pk).update(stuck_since=None, furthest_rank=3)
    assert events.count() == before


def test_a_bulk_update_is_recorded_as_done_directly_in_the_database(rep, deal, open_deal):
    other = open_deal(rep)
    EVENT_MODELS[Opportunity].objects.all().delete()

    Opportunity.objects.filter(pk__in=[deal.pk, other.pk]).update(next_step="Call the board")

    for each in (deal, other):
        [change] = _value_changes(each)
        assert (change.actor, change.actor_name, change.door) == (None, "salesflow", "system")
        assert change.door_label == "directly in the database"
        assert [(f.name, f.old, f.new) for f in change.fields] == [
            ("next_step", "—", "Call the board")
        ]


def test_a_rolled_back_transaction_leaves_no_event(rep, deal):
    events = EVENT_MODELS[Opportunity].objects.all()
    before = events.count()

    def change_then_fail() -> None:
        with transaction.atomic():
            Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("99"))
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert events.count() == before


def test_an_edit_in_the_admin_is_recorded_as_the_admin(client, deal):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    EVENT_MODELS[Opportunity].objects.all().delete()
    url = reverse("admin:pipeline_opportunity_change", args=[deal.pk])
    form = client.get(url).context["adminform"].form
    data = {
        **{name: form[name].value() or "" for name in form.fields},
        "stage_changes-TOTAL_FORMS": "0",
        "stage_changes-INITIAL_FORMS": "0",
        "value": "50000",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    [change] = _value_changes(deal)
    assert (change.actor, change.door, change.door_label) == (admin, "admin", "in the admin")
    assert change.door_detail == url
    assert [(f.name, f.old, f.new) for f in change.fields] == [("value", "48,000", "50,000")]


def test_an_edit_through_the_api_names_the_token(client, rep, deal):
    _, secret = apitoken_create(actor=rep, name="Zapier")
    EVENT_MODELS[Opportunity].objects.all().delete()

    response = client.patch(
        f"/api/v1/deals/{deal.pk}/",
        {"value": "17500.00"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    assert response.status_code == 200, response.content
    [change] = _value_changes(deal)
    assert (change.actor, change.door, change.door_detail) == (rep, "api", "Zapier")
    assert change.door_label == "through the API, token “Zapier”"
    assert [(f.name, f.old, f.new) for f in change.fields] == [("value", "48,000", "17,500")]


def _move_between(deal, stages, times, user):
    names = ["Qualified", "Evaluation"]
    with audit_context(door="page", detail=f"/deals/{deal.pk}/", user=user.pk):
        for n in range(times):
            Opportunity.objects.filter(pk=deal.pk).update(
                stage=stages[names[n % 2]], value=Decimal(1000 + n)
            )


def test_a_page_of_a_deals_history_costs_the_same_queries_short_or_long(
    rep, deal, open_deal, stages, django_assert_num_queries
):
    long = open_deal(rep)
    _move_between(deal, stages, 60, rep)
    _move_between(long, stages, 120, rep)

    # The events, the live row, the stages named, the actors: four, whatever the length.
    with django_assert_num_queries(4):
        _, short_next = object_history(deal)
    with django_assert_num_queries(4):
        long_page, long_next = object_history(long)
    with django_assert_num_queries(3):  # later pages: no live row
        later, _ = object_history(long, before=long_next)
    # The last page holds the creation too: one more query per kind of foreign key it names
    # (account, owner, pipeline; stages are read already) — bounded by the model, not the
    # history.
    with django_assert_num_queries(6):
        object_history(deal, before=short_next)

    assert short_next is not None
    assert len(long_page) == len(later) == 50
    newest = long_page[0]
    assert newest.actor == rep
    assert [(f.name, f.old, f.new) for f in newest.fields] == [
        ("stage", "Qualified", "Evaluation"),
        ("value", "1,118", "1,119"),
    ]
    # Where one page ends and the next begins, old and new still meet.
    assert later[0].fields[1].new == long_page[-1].fields[1].old
