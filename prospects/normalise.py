"""How names, websites and emails are normalised to find duplicates, twice over: as database
expressions (indexed in Account.Meta and Contact.Meta, and used by prospects.duplicates'
queries, so a lookup is served by the index) and in Python (for what the user typed). The two
twins must stay identical; only ASCII letters and digits survive, on both sides, which keeps
them so.
"""

from __future__ import annotations

import re

from django.db.models import F, Func, Value
from django.db.models.functions import Lower

# Words that say what kind of company it is, not which one: "Kestrel Components Ltd" and
# "Kestrel Components, Inc." are the same prospect.
COMPANY_SUFFIXES = (
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "gmbh",
    "plc",
    "co",
    "company",
    "corp",
    "corporation",
    "sa",
    "sas",
    "sarl",
    "ag",
    "bv",
    "nv",
    "oy",
    "ab",
    "as",
    "aps",
    "spa",
    "srl",
    "pty",
    "kg",
)

_NOT_ALNUM = "[^a-z0-9]+"
# One or more suffixes at the end ("Acme Pty Ltd"), each preceded by a space so a name that
# is only a suffix ("AG") keeps it rather than normalising to nothing.
_SUFFIXES = "( (" + "|".join(COMPANY_SUFFIXES) + "))+$"
_SCHEME = "^[a-z][a-z0-9+.-]*://"
_WWW = "^www[.]"
_AFTER_HOST = "[:/?#].*$"


def _regexp_replace(expression: object, pattern: str, flags: str = "") -> Func:
    args = [expression, Value(pattern), Value("")]
    if flags:
        args.append(Value(flags))
    return Func(*args, function="REGEXP_REPLACE")


def _normalise_sql(expression: object) -> Func:
    spaced = Func(
        Func(
            Lower(expression), Value(_NOT_ALNUM), Value(" "), Value("g"), function="REGEXP_REPLACE"
        ),
        function="BTRIM",
    )
    return _regexp_replace(spaced, _SUFFIXES)


def normalised_name_sql(field: str = "name") -> Func:
    """The database twin of normalise_name (used by the index and by the query alike)."""
    return _normalise_sql(F(field))


def website_domain_sql(field: str = "website") -> Func:
    """The database twin of website_domain."""
    return _regexp_replace(
        _regexp_replace(_regexp_replace(Lower(F(field)), _SCHEME), _WWW), _AFTER_HOST
    )


def normalise_name(name: str) -> str:
    spaced = re.sub(_NOT_ALNUM, " ", name.lower()).strip(" ")
    return re.sub(_SUFFIXES, "", spaced)


def website_domain(website: str) -> str:
    domain = re.sub(_SCHEME, "", website.lower())
    domain = re.sub(_WWW, "", domain)
    return re.sub(_AFTER_HOST, "", domain, flags=re.DOTALL)
