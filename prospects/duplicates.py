"""Possible duplicates of an account or contact about to be created (selectors).

A new account matches an existing one when their names are the same once case,
punctuation, spacing and trailing company suffixes (Ltd, Inc, GmbH…) are set aside, or when
their websites share a domain (scheme, "www." and path aside). A new contact matches one with
the same email (case aside) anywhere the user may see, or the same normalised name at the
same account.

Each comparison is on an expression an index holds (prospects.normalise, indexed in
Account.Meta and Contact.Meta), so at 100,000 accounts a lookup reads a few index entries
instead of normalising every row; the result is capped at MATCH_LIMIT rows. Only what the
user may see is returned: another team's account is never revealed, not even as "exists".
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Lower

from prospects.access import accounts_visible_to
from prospects.models import Account, Contact
from prospects.normalise import (
    normalise_name,
    normalised_name_sql,
    website_domain,
    website_domain_sql,
)
from salesflow.core.models import User

MATCH_LIMIT = 5


def similar_accounts(user: User, *, name: str = "", website: str = "") -> list[Account]:
    """Accounts the user may see that look like the one about to be created."""
    normal, domain = normalise_name(name), website_domain(website)
    match = Q()
    if normal:
        match |= Q(normalised_name=normal)
    if domain:
        match |= Q(website_domain=domain)
    if not match:
        return []
    accounts = (
        accounts_visible_to(user)
        .alias(normalised_name=normalised_name_sql(), website_domain=website_domain_sql())
        .filter(match)
        .select_related("owner")
        .order_by("name", "pk")
    )
    return list(accounts[:MATCH_LIMIT])


def similar_contacts(
    user: User, account: Account, *, name: str = "", email: str = ""
) -> list[Contact]:
    """Contacts the user may see that look like the one about to be added to `account`:
    the same email at any visible account (people move between companies and get entered
    twice), or the same name at this account (two "J. Smith"s at different companies are
    usually two people)."""
    normal, address = normalise_name(name), email.strip().lower()
    match = Q()
    if normal:
        match |= Q(account=account, normalised_name=normal)
    if address:
        match |= Q(email_lower=address)
    if not match:
        return []
    contacts = (
        Contact.objects.filter(account__in=accounts_visible_to(user), erased_at__isnull=True)
        .alias(normalised_name=normalised_name_sql(), email_lower=Lower("email"))
        .filter(match)
        .select_related("account")
        .order_by("name", "pk")
    )
    return list(contacts[:MATCH_LIMIT])
