"""Search across what the user may see, and finding an account to log a conversation on."""

from __future__ import annotations

from prospects.access import accounts_editable_by, accounts_visible_to
from prospects.models import Account, Contact, Conversation
from prospects.search.fulltext import SearchResults, matching, terms
from salesflow.core.models import User

SEARCH_LIMIT = 20


def search(*, user: User, text: str) -> SearchResults:
    """Accounts, contacts and conversations the user may see that match every word typed."""
    words = terms(text)
    results = SearchResults(query=text)
    if not words:
        return results
    visible = accounts_visible_to(user)
    results.accounts = list(
        matching(visible.select_related("owner", "segment"), "account", words).order_by(
            "name", "pk"
        )[:SEARCH_LIMIT]
    )
    results.contacts = list(
        matching(
            Contact.objects.filter(account__in=visible).select_related("account"), "contact", words
        ).order_by("name", "pk")[:SEARCH_LIMIT]
    )
    results.conversations = list(
        matching(
            Conversation.objects.filter(account__in=visible).select_related("account", "logged_by"),
            "conversation",
            words,
        ).order_by("-occurred_at", "-pk")[:SEARCH_LIMIT]
    )
    return results


def quick_log_accounts(*, user: User, text: str, limit: int = 10) -> list[Account]:
    """Accounts the user may log a conversation on: matching the text, or their own recent ones."""
    editable = accounts_editable_by(user)
    words = terms(text)
    if words:
        editable = matching(editable, "account", words).order_by("name", "pk")
    else:
        editable = editable.order_by("-updated_at", "-pk")
    return list(editable.select_related("segment")[:limit])
