"""The pages measured (GETs), each as the users who would open it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from rest_framework.pagination import Cursor

from pipeline.benchmark.subjects import Subjects
from pipeline.deals import selectors as deal_selectors
from pipeline.deals.table import DEALS
from prospects.lists import ACCOUNTS, CONTACTS
from salesflow.core.api.pagination import KeysetPagination
from salesflow.core.lists.keyset import SORT_ALIAS, as_text
from salesflow.core.lists.keyset import Cursor as ListCursor
from salesflow.core.lists.selectors import list_state
from salesflow.core.lists.spec import CURSOR, ListSpec, next_cursor, page_after
from salesflow.core.models import User

# The deep page of a list: the rows from the 4,976th on (what OFFSET 4,975 was when the
# account list had numbered pages), reached by the keyset cursor "load more" would carry.
DEEP_LIST_ROW = 4_976
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


def deep_list_address(spec: ListSpec, user: User, query: dict[str, object]) -> tuple[str, int]:
    """The query string of the list's page that starts at DEEP_LIST_ROW (or the user's last
    page if they have fewer rows), with the cursor "load more" would have given, and the
    row it starts at."""
    address = QueryDict(mutable=True)
    for key, value in query.items():
        address[key] = str(value)
    address.setdefault("sort", spec.default_sort)
    state = list_state(spec, user=user, query=address)
    rows = page_after(state.queryset(), state.sort_column, state.descending, None)
    total = rows.count()
    start = min(DEEP_LIST_ROW, max(total - 1, 0) // spec.per_page * spec.per_page + 1)
    if start > 1:
        last = rows.values_list("pk", "list_sort")[start - 2]
        address[CURSOR] = next_cursor(state.sort, last, start - 1).encode()
    return address.urlencode(), start


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
            # Row 4,976 on for whoever has that many, else their last page: each user's own.
            address, start = deep_list_address(ACCOUNTS, user, query)
            label = f"{name}, from row {DEEP_LIST_ROW:,} or last (row {start:,})"
            found.append(Page(label, user, f"{accounts}?{address}"))

    # The contact list: by name, and filtered and sorted on the latest conversation.
    contacts = reverse("prospects:contact_list")
    talked: dict[str, object] = {
        "buying_role": "decision_maker",
        "has_email": "yes",
        "sort": "-last_conversation",
    }
    for name, query in (("contacts", {}), ("contacts, filtered and sorted", talked)):
        found.extend(Page(f"{name}, page 1", user, _with_query(contacts, query)) for user in both)
    for user in both:
        address, start = deep_list_address(CONTACTS, user, {})
        label = f"contacts, from row {DEEP_LIST_ROW:,} or last (row {start:,})"
        found.append(Page(label, user, f"{contacts}?{address}"))

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

    # Search: a word of a name (the biggest account's), the commonest word of the notes
    # (every long-text kind full of it), and the biggest account's name misspelt (found by
    # trigram likeness only).
    searches = (subjects.search_term, subjects.common_word, misspelt_name(subjects))
    for text in searches:
        add(f"search “{text}”", _with_query(reverse("prospects:search"), {"q": text}))
    return found


def misspelt_name(subjects: Subjects) -> str:
    """The biggest account's name as a hurried person types it: its words of letters, two
    letters of the first swapped ("Oakfield Hospital" → "Oakfeild Hospital")."""
    # Whole words of letters only: generated names carry numbered tags nobody types.
    name = subjects.biggest_account.name.split()
    words = [word for word in name if re.fullmatch(r"[^\W\d_]+", word)] or [subjects.search_term]
    first = words[0]
    if len(first) >= 4:
        i = len(first) // 2
        first = first[:i] + first[i + 1] + first[i] + first[i + 2 :]
    return " ".join([first, *words[1:]])
