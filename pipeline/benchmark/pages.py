"""The pages measured (GETs), each as the users who would open it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import QueryDict
from django.urls import reverse
from rest_framework.pagination import Cursor

from pipeline.benchmark.subjects import Subjects
from pipeline.deals import selectors as deal_selectors
from pipeline.deals.table import DEALS
from prospects import selectors as prospect_selectors
from prospects.forms import AccountFilterForm
from prospects.views import ACCOUNTS_PER_PAGE
from salesflow.core.api.pagination import KeysetPagination
from salesflow.core.lists.keyset import SORT_ALIAS, as_text
from salesflow.core.lists.keyset import Cursor as ListCursor
from salesflow.core.lists.selectors import list_state
from salesflow.core.lists.spec import page_after
from salesflow.core.models import User

# The deep page of the account list: OFFSET 4,975, where an unindexed sort hurts most.
DEEP_ACCOUNT_PAGE = 200
# The API's deal list walked this far by an integration (its 10,000th deal on).
DEEP_API_PAGE = 200
# The deals table's "load more" followed this far (its 10,000th deal on).
DEEP_TABLE_PAGE = 200


@dataclass(frozen=True)
class Page:
    label: str
    user: User
    url: str
    # The dashboard's figures worked out for every request, not read from those kept: the
    # time of the first view, or of a view whose figures are over ten minutes old.
    unkept: bool = False


def account_list_page(user: User, query: dict[str, object], wanted: int) -> int:
    """Page `wanted` of the user's (filtered) account list, or its last page if shorter."""
    # The view's own parsing, so the page number is the one the view would paginate to.
    form = AccountFilterForm({k: str(v) for k, v in query.items()} or None, user=user)
    filters = form.filters() if form.is_bound else prospect_selectors.AccountFilters()
    accounts = prospect_selectors.account_list(user=user, filters=filters)
    return min(wanted, Paginator(accounts, ACCOUNTS_PER_PAGE).num_pages)


def api_deals_deep_page(user: User, url: str, wanted: int) -> str:
    """The address of page `wanted` of the user's deals through the API (their last page if
    they have fewer): the cursor an integration holds after walking that far, made as the
    API makes it (a page starts after the previous page's last change time)."""
    size = KeysetPagination.page_size
    deals = deal_selectors.opportunity_list(user=user, filters=deal_selectors.BoardFilters())
    last_page = max(deals.count() - 1, 0) // size + 1
    start = (min(wanted, last_page) - 1) * size
    if start == 0:
        return url
    changed = deals.order_by("updated_at", "id").values_list("updated_at", flat=True)
    paginator = KeysetPagination()
    paginator.base_url = f"http://testserver{url}"
    cursor = Cursor(offset=0, reverse=False, position=str(changed[start - 1]))
    return paginator.encode_cursor(cursor).removeprefix("http://testserver")


def deal_table_deep_page(user: User, url: str, query: str, wanted: int) -> tuple[str, int]:
    """The address of page `wanted` of the deals table at `query` (the last page if the
    user has fewer) and its number: the cursor "load more" hands out after that many
    pages, made as the table makes it."""
    state = list_state(DEALS, user=user, query=QueryDict(query))
    ordered = page_after(state.queryset(), state.sort_column, state.descending, None)
    keys = ordered.values_list("pk", SORT_ALIAS)
    size = DEALS.per_page
    last_page = max(state.queryset().count() - 1, 0) // size + 1
    number = min(wanted, last_page)
    start = (number - 1) * size
    if start == 0:
        return f"{url}?{query}", number
    pk, value = keys[start - 1]
    cursor = ListCursor(sort=state.sort, value=as_text(value), pk=pk, shown=start)
    return f"{url}?{query}&after={cursor.encode()}", number


def _with_query(url: str, query: dict[str, object]) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def pages(subjects: Subjects) -> list[Page]:
    """What is measured, in the order of the table: each page as the admin (who sees every
    team's data) and as the rep with the most open deals, unless the page is someone
    else's (the team dashboard is the manager's). Add pages here."""
    admin, rep = subjects.admin, subjects.rep
    both = (admin, rep)
    found: list[Page] = []

    def add(label: str, url: str, users: tuple[User | None, ...] = both) -> None:
        found.extend(Page(label, user, url) for user in users if user is not None)

    for pipeline in subjects.pipelines:
        add(f"board: {pipeline.name}", reverse("pipeline:board_pipeline", args=[pipeline.pk]))

    accounts = reverse("prospects:account_list")
    filters: dict[str, object] = {"has_problem": "yes"}
    if subjects.segment is not None:
        filters["segment"] = subjects.segment.pk
    for name, query in (("accounts", {}), ("accounts, filtered", filters)):
        found.extend(Page(f"{name}, page 1", user, _with_query(accounts, query)) for user in both)
        for user in both:
            # Page 200 for whoever has that many, else their last: each user's own deep page.
            number = account_list_page(user, query, DEEP_ACCOUNT_PAGE)
            label = f"{name}, page {DEEP_ACCOUNT_PAGE} or last (p. {number})"
            found.append(Page(label, user, _with_query(accounts, {**query, "page": number})))

    add(
        "account, most conversations",
        reverse("prospects:account_detail", args=[subjects.biggest_account.pk]),
    )
    add(
        "deal, longest history",
        reverse("pipeline:opportunity_detail", args=[subjects.long_history_deal.pk]),
    )
    if subjects.soe_deal is not None:
        add("SOE, most steps", reverse("pipeline:soe", args=[subjects.soe_deal.pk]))
    # An SOE's forms offer the account's conversations: the biggest account's is the test.
    deals = subjects.biggest_account.opportunities.filter(soe__isnull=False).order_by("pk")
    if (on_biggest := deals.first()) is not None:
        add("SOE, on the biggest account", reverse("pipeline:soe", args=[on_biggest.pk]))
    add("Today (home)", reverse("home"), (rep, admin))

    # The deals table: as each opens it (a rep's own open deals; the admin's every open
    # deal), a filtered view sorted on value, and the usual view 200 "load more"s down.
    table = reverse("pipeline:deal_table")
    add("deals table, default view", table)
    table_filters: dict[str, object] = {"status": "open", "sort": "-value"}
    if subjects.segment is not None:
        table_filters["segment"] = subjects.segment.pk
    add("deals table, open in a segment by value", _with_query(table, table_filters))
    for user in both:
        usual = DEALS.default_query(user)
        deep, number = deal_table_deep_page(user, table, usual, DEEP_TABLE_PAGE)
        label = f"deals table, page {DEEP_TABLE_PAGE} by cursor, or last (p. {number})"
        found.append(Page(label, user, deep))

    # The API's deal list as an integration syncing it reads it: the first page, and a page
    # far in by its cursor.
    deals_api = reverse("pipeline_api:deals")
    add("API: deals, page 1", deals_api)
    for user in both:
        deep = api_deals_deep_page(user, deals_api, DEEP_API_PAGE)
        found.append(Page(f"API: deals, page {DEEP_API_PAGE} by cursor, or last", user, deep))

    dashboard = reverse("pipeline:dashboard")
    add("dashboard, whole company", dashboard, (admin,))
    found.append(Page("dashboard, whole company, worked out", admin, dashboard, unkept=True))
    if subjects.team is not None:
        team_view = _with_query(dashboard, {"team": subjects.team.pk})
        add("dashboard, one team", team_view, (subjects.manager, admin))
    add("dashboard, own figures", dashboard, (rep,))

    if subjects.review is not None:
        review = reverse("reviews:detail", args=[subjects.review.pk])
        add("review board, finished", review, (admin, subjects.review_user))

    search = _with_query(reverse("prospects:search"), {"q": subjects.search_term})
    add(f"search “{subjects.search_term}”", search)
    return found
