"""The panels of prospects' pages that the apps built on it fill (salesflow.core.panels)."""

from __future__ import annotations

from salesflow.core.panels import Panels

# The account page: called with account=…; pipeline adds the account's deals and
# follow-ups.
ACCOUNT = Panels("account")
