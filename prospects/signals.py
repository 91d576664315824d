"""What prospects announces, for the apps built on it to act on: pipeline un-sticks the
account's deals and proposes follow-ups (pipeline/listeners.py). prospects never imports
what builds on it.

Each is sent by its service synchronously, inside the service's transaction (`send`, not
`send_robust`): a listener's writes commit or roll back together with the write that
announced them, and a listener that fails fails the write.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by services.conversation_log once the conversation and its readiness answers are
# saved, with `conversation=` and `actor=`. A receiver may answer a short sentence for the
# rep (a str: "A follow-up is proposed…"), which the page that logged it shows, or None.
conversation_logged = Signal()

# Sent by merge.services.account_merge once the duplicate is folded into the survivor and
# deleted, with `survivor=` and `actor=`.
account_merged = Signal()
