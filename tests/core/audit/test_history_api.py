"""`GET /api/v1/<thing>/{id}/history/`: the History tab's lines as JSON, paged by `next`,
for whoever may see the record (an outsider gets 404), bad parameters a 400 problem."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.deals.models import Opportunity
from pipeline.followups import services as followup_services
from pipeline.soe import services as soe_services
from prospects.models import Account
from salesflow.core.apitokens.services import apitoken_create
from salesflow.core.audit.context import audit_context
from tests.factories import ContactFactory
from tests.hostile import fuzz, hostile
from tests.prospects.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(rep, deal):
    """One of each record with a history endpoint, all on the rep's account."""
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(actor=rep, sequence=sequence, text="Security review")
    follow_up = followup_services.followup_create(actor=rep, account=deal.account, purpose="Ask")
    return {
        "accounts": deal.account_id,
        "contacts": ContactFactory(account=deal.account).pk,
        "deals": deal.pk,
        "soe-steps": step.pk,
        "follow-ups": follow_up.pk,
    }


def _paths(records) -> list[str]:
    return [f"/api/v1/{thing}/{pk}/history/" for thing, pk in records.items()]


def test_a_deal_s_history_says_who_changed_the_value_from_what_to_what(client, rep, deal):
    Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("16000"))
    _, secret = apitoken_create(actor=rep, name="Billing sync")
    response = client.patch(
        f"/api/v1/deals/{deal.pk}/",
        {"value": "17500"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content

    response = client.get(
        f"/api/v1/deals/{deal.pk}/history/", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )

    assert response.status_code == 200
    body = response.json()
    latest = body["results"][0]
    assert latest["action"] == "changed"
    assert latest["actor"] == {"id": rep.pk, "name": rep.display_name}
    assert latest["door"] == "api"
    assert latest["door_label"] == "through the API, token “Billing sync”"
    assert latest["fields"] == [
        {"name": "value", "label": "Value", "old": "16,000", "new": "17,500"}
    ]
    assert body["next"] is None


def test_the_pages_follow_next_to_the_first_change_once_each(client, rep, account):
    for n in range(12):
        Account.objects.filter(pk=account.pk).update(name=f"Renamed {n}")
    client.force_login(rep)
    seen, response = [], client.get(f"/api/v1/accounts/{account.pk}/history/?page_size=5")
    while True:
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) <= 5
        seen += body["results"]
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert len(seen) == 13
    assert len({line["id"] for line in seen}) == 13
    assert seen[0]["fields"][0]["new"] == "Renamed 11"
    assert seen[-1]["action"] == "created"


def test_owner_and_teammate_read_every_history_an_outsider_gets_404(
    client, rep, teammate, outsider, records
):
    for user in (rep, teammate):
        client.force_login(user)
        for path in _paths(records):
            response = client.get(path)
            assert response.status_code == 200, (user, path, response.content[:300])
            assert response.json()["results"], path
    client.force_login(outsider)
    for path in _paths(records):
        assert_problem(client.get(path), 404)
        # The parameters are not even read for someone who may not see the record.
        assert_problem(client.get(path, {"cursor": "x"}), 404)


def test_signed_out_gets_401_problem(client, records):
    for path in _paths(records):
        assert_problem(client.get(path), 401)


def test_an_unknown_record_is_404(client, rep):
    client.force_login(rep)
    for thing in ("accounts", "contacts", "deals", "soe-steps", "follow-ups"):
        assert_problem(client.get(f"/api/v1/{thing}/{2**62}/history/"), 404)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "0"}, "cursor"),
        ({"cursor": "-4"}, "cursor"),
        ({"cursor": "9" * 30}, "cursor"),
        # A whole number, but no event of this deal's: its page would be wrong, not empty.
        ({"cursor": "999999999"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
    ],
)
def test_a_bad_parameter_is_a_400_problem_naming_it(client, rep, deal, params, name):
    client.force_login(rep)
    body = assert_problem(client.get(f"/api/v1/deals/{deal.pk}/history/", params), 400)
    assert name in str(body)


def test_another_record_s_cursor_is_refused(client, rep, deal, account):
    for n in range(3):
        Account.objects.filter(pk=account.pk).update(name=f"Renamed {n}")
    client.force_login(rep)
    body = client.get(f"/api/v1/accounts/{account.pk}/history/?page_size=1").json()
    cursor = body["next"].rsplit("cursor=", 1)[1]
    response = client.get(f"/api/v1/deals/{deal.pk}/history/", {"cursor": cursor})
    assert "cursor" in str(assert_problem(response, 400))


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(["cursor", "page_size", "before", "other"]), hostile, max_size=3
    )
)
def test_hostile_query_parameters_never_500(client, rep, deal, params):
    client.force_login(rep)
    response = client.get(f"/api/v1/deals/{deal.pk}/history/", params)
    assert response.status_code in {200, 400}, response.content[:300]
    if response.status_code == 400:
        assert_problem(response, 400)


@pytest.mark.parametrize("changes", [60, 300])
def test_the_endpoint_costs_the_same_queries_however_long_the_history(
    client, rep, deal, changes, django_assert_num_queries
):
    with audit_context(door="page", detail=f"/deals/{deal.pk}/edit/", user=rep.pk):
        for n in range(changes):
            Opportunity.objects.filter(pk=deal.pk).update(value=Decimal(1000 + n))
    client.force_login(rep)
    path = f"/api/v1/deals/{deal.pk}/history/"
    # The session, the user, the deal with its access joins, then the history: the events,
    # the live row, the actors; the same for a page of 50 out of 60 or out of 300.
    with django_assert_num_queries(6):
        response = client.get(path)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 50
