"""The board: columns with counts and totals from SQL, cards, moves, filters, paging."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from pipeline.deals import selectors as deal_selectors
from pipeline.deals.models import Opportunity, StageChange
from tests.factories import AccountFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def move(client, deal, to_stage, from_stage=None, **extra):
    data = {"stage": to_stage.pk, "from_stage": (from_stage or deal.stage).pk, **extra}
    return client.post(reverse("pipeline:opportunity_move", args=[deal.pk]), data, **HTMX)


def test_columns_show_counts_and_totals_per_open_stage(client, rep, standard, open_deal):
    open_deal(rep, "Qualified", value=1000)
    open_deal(rep, "Qualified", value=2500)
    open_deal(rep, "Evaluation", value=700, currency="GBP")
    open_deal(rep, "Evaluation", value=300)
    client.force_login(rep)
    response = client.get(reverse("pipeline:board"))
    assert response.status_code == 200
    columns = {column.stage.name: column for column in response.context["columns"]}
    assert list(columns) == ["Lead", "Qualified", "Solution development", "Evaluation", "Decision"]
    assert columns["Qualified"].count == 2
    assert [(c, int(v)) for c, v in columns["Qualified"].totals] == [("EUR", 3500)]
    assert [(c, int(v)) for c, v in columns["Evaluation"].totals] == [("EUR", 300), ("GBP", 700)]
    html = response.content.decode()
    assert "3,500 EUR" in html
    assert "2 deals" in html


def test_a_card_shows_account_value_days_in_stage_and_owner_initials(client, rep, deal):
    client.force_login(rep)
    html = client.get(reverse("pipeline:board")).content.decode()
    card = re.search(rf'<li class="deal-card[^"]*" id="deal-{deal.pk}".*?</li>', html, re.S)
    assert card is not None
    text = card.group(0)
    assert "St Brigid&#x27;s Hospital" in text
    assert "48,000 EUR" in text
    assert "0 days in stage" in text
    assert rep.initials in text
    assert "Stuck" not in text


def test_closed_deals_are_not_on_the_board(client, rep, deal, stages, reason):
    from pipeline.deals import services as deal_services

    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
    )
    client.force_login(rep)
    response = client.get(reverse("pipeline:board"))
    assert f'id="deal-{deal.pk}"' not in response.content.decode()
    assert sum(column.count for column in response.context["columns"]) == 0


def test_a_drag_move_answers_with_the_card_in_its_new_column_and_both_totals(
    client, rep, deal, stages
):
    client.force_login(rep)
    response = move(client, deal, stages["Solution development"])
    assert response.status_code == 200
    html = response.content.decode()
    target = stages["Solution development"].pk
    assert f'hx-swap-oob="afterbegin:#cards-{target}"' in html
    assert f'id="deal-{deal.pk}" data-stage="{target}"' in html
    assert (
        f'id="column-head-{stages["Qualified"].pk}" class="board-column-head" hx-swap-oob="true"'
        in html
    )
    assert f'id="column-head-{target}"' in html
    assert "1 deal<" in html
    assert "0 deals<" in html
    assert StageChange.objects.filter(opportunity=deal).count() == 2


def test_a_refused_move_answers_409_with_the_reason_and_changes_nothing(client, rep, deal, stages):
    client.force_login(rep)
    response = move(client, deal, stages["Won"])
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/plain")
    assert "Say why the deal was won" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"]


def test_a_move_from_a_stale_card_is_refused(client, rep, deal, stages):
    client.force_login(rep)
    assert move(client, deal, stages["Evaluation"]).status_code == 200
    response = move(client, deal, stages["Decision"], from_stage=stages["Qualified"])
    assert response.status_code == 409
    assert "now in Evaluation" in response.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["Evaluation"]


def test_a_move_without_javascript_redirects_back_to_the_board(client, rep, deal, stages):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:opportunity_move", args=[deal.pk]),
        {"stage": stages["Decision"].pk, "from_stage": stages["Qualified"].pk, "next": "board"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:board_pipeline", args=[deal.pipeline_id])


def test_filters_narrow_the_board(client, rep, teammate, manager, standard, open_deal):
    hospitals = SegmentFactory(name="Hospitals")
    schools = SegmentFactory(name="Schools")
    mine = open_deal(rep, account=AccountFactory(owner=rep, segment=hospitals))
    theirs = open_deal(teammate, account=AccountFactory(owner=teammate, segment=schools))
    client.force_login(manager)
    board_url = reverse("pipeline:board")
    html = client.get(board_url, {"owner": rep.pk}).content.decode()
    assert f"deal-{mine.pk}" in html
    assert f"deal-{theirs.pk}" not in html
    html = client.get(board_url, {"segment": schools.pk}).content.decode()
    assert f"deal-{theirs.pk}" in html
    assert f"deal-{mine.pk}" not in html
    html = client.get(board_url, {"team": rep.team_id}).content.decode()
    assert f"deal-{theirs.pk}" in html
    assert f"deal-{mine.pk}" in html
    fragment = client.get(board_url, {"owner": teammate.pk}, **HTMX)
    assert fragment.content.decode().lstrip().startswith('<div id="board-columns"')


def test_each_column_loads_its_first_cards_then_more(client, rep, standard, stages):
    per = deal_selectors.CARDS_PER_COLUMN
    total = 2 * per + 20
    account = AccountFactory(owner=rep)
    Opportunity.objects.bulk_create(
        Opportunity(
            account=account,
            name=f"Deal {n:03}",
            owner=rep,
            pipeline=standard,
            stage=stages["Lead"],
            value=n,
        )
        for n in range(total)
    )
    client.force_login(rep)
    response = client.get(reverse("pipeline:board"))
    lead = response.context["columns"][0]
    assert (lead.count, len(lead.cards), lead.has_more) == (total, per, True)
    more_url = reverse("pipeline:board_column", args=[stages["Lead"].pk])
    assert f"{more_url}?offset={per}" in response.content.decode()
    page = client.get(more_url, {"offset": per}, **HTMX)
    assert len(page.context["cards"]) == per
    assert page.context["more"]
    assert f"offset={2 * per}" in page.content.decode()
    last = client.get(more_url, {"offset": 2 * per}, **HTMX)
    assert len(last.context["cards"]) == 20
    assert not last.context["more"]
    seen = {card.pk for card in lead.cards} | {card.pk for card in page.context["cards"]}
    seen |= {card.pk for card in last.context["cards"]}
    assert len(seen) == total
    plain = client.get(more_url, {"offset": per})
    assert plain.status_code == 200
    assert b"Deals in Lead" in plain.content


@pytest.mark.parametrize("size", [2, 130])
def test_board_query_count_is_constant(
    client, rep, teammate, standard, stages, open_deal, size, django_assert_max_num_queries, log_yes
):
    account = AccountFactory(owner=rep)
    log_yes(account)
    Opportunity.objects.bulk_create(
        Opportunity(
            account=account,
            name=f"Deal {n}",
            owner=rep if n % 2 else teammate,
            pipeline=standard,
            stage=list(stages.values())[n % 5],
            value=n,
        )
        for n in range(size)
    )
    client.force_login(rep)
    # Session and user, the pipelines, the stages, the totals, the first cards' ids, the
    # cards, the navigation's unread count and the four filter choices.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("pipeline:board"))
    assert response.status_code == 200
    # Session and user, the stage, the column's stages (for the cards' select), ids, cards.
    with django_assert_max_num_queries(6):
        response = client.get(
            reverse("pipeline:board_column", args=[stages["Lead"].pk]),
            {"offset": deal_selectors.CARDS_PER_COLUMN},
            **HTMX,
        )
    assert response.status_code == 200


def test_board_selector_reads_counts_in_sql_not_by_loading_every_deal(
    rep, standard, stages, django_assert_max_num_queries
):
    account = AccountFactory(owner=rep)
    Opportunity.objects.bulk_create(
        Opportunity(
            account=account, name=f"D{n}", owner=rep, pipeline=standard, stage=stages["Lead"]
        )
        for n in range(300)
    )
    with django_assert_max_num_queries(4):
        columns = deal_selectors.board(
            user=rep, pipeline=standard, filters=deal_selectors.BoardFilters()
        )
        assert columns[0].count == 300
        assert len(columns[0].cards) == deal_selectors.CARDS_PER_COLUMN


def test_cards_a_user_cannot_move_have_no_move_form(client, rep, teammate, open_deal):
    theirs = open_deal(teammate)
    client.force_login(rep)
    html = client.get(reverse("pipeline:board")).content.decode()
    card = re.search(rf'<li class="deal-card[^"]*" id="deal-{theirs.pk}".*?</li>', html, re.S)
    assert "can-move" not in card.group(0).split(">")[0]
    assert "move-form" not in card.group(0)


def test_a_second_pipeline_has_its_own_board(client, rep, standard):
    from pipeline.deals.models import Pipeline, Stage

    schools = Pipeline.objects.create(name="Schools")
    Stage.objects.create(pipeline=schools, name="Term planning", probability=10)
    client.force_login(rep)
    response = client.get(reverse("pipeline:board_pipeline", args=[schools.pk]))
    assert [c.stage.name for c in response.context["columns"]] == ["Term planning"]
    assert client.get(reverse("pipeline:board_pipeline", args=[99999])).status_code == 404


def test_a_user_without_a_team_sees_only_their_own_deals(client, standard, open_deal, rep):
    loner = UserFactory(role="rep", team=None)
    open_deal(rep)
    client.force_login(loner)
    response = client.get(reverse("pipeline:board"))
    assert sum(column.count for column in response.context["columns"]) == 0


def test_card_helpers_match_reverse_and_escape_stage_names(deal, stages):
    from pipeline.templatetags.pipeline_tags import deal_url, stage_options

    for name in ("pipeline:opportunity_detail", "pipeline:opportunity_move"):
        assert deal_url(name, deal.pk) == reverse(name, args=[deal.pk])
    stage = stages["Lead"]
    stage.name = "<b>Lead</b>"
    html = stage_options([stage, stages["Qualified"]], stages["Qualified"].pk)
    assert "&lt;b&gt;Lead&lt;/b&gt;" in html
    assert f'<option value="{stages["Qualified"].pk}" selected>Qualified</option>' in html


def test_a_card_escapes_what_people_typed_and_carries_the_filters_and_token(
    client, rep, standard, open_deal
):
    account = AccountFactory(owner=rep, name='<script>alert("a")</script>')
    deal = open_deal(rep, account=account, name="Tom & Jerry <b>", value=1)
    client.force_login(rep)
    client.get(reverse("pipeline:board"))  # sets the CSRF cookie
    html = client.get(reverse("pipeline:board"), {"owner": rep.pk}).content.decode()
    card = re.search(rf'<li class="deal-card[^"]*" id="deal-{deal.pk}".*?</li>', html, re.S)
    assert card is not None
    text = card.group(0)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&quot;a&quot;)&lt;/script&gt;" in text
    assert "Tom &amp; Jerry &lt;b&gt;" in text
    assert f'hx-post="/deals/{deal.pk}/move/?owner={rep.pk}"' in text
    assert 'name="csrfmiddlewaretoken" value="' in text
    assert "0 days in stage" in text


def test_money_shows_cents_only_when_there_are_some():
    from decimal import Decimal

    from pipeline.templatetags.pipeline_tags import money

    assert money(Decimal("1234567"), "EUR") == "1,234,567 EUR"
    assert money(Decimal("999999999999.99"), "GBP") == "999,999,999,999.99 GBP"
