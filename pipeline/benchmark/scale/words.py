"""The words and choices the rows are made of: places, names, notes, purposes, reasons.

Lists, not sets, and read once: the rows are picked from them by a seeded random generator,
so the same seed gives the same rows only if the lists keep their order."""

from __future__ import annotations

from pipeline.soe.models import OwnerSide
from prospects.models import Answer, Channel, Contact, ConversationKind, Currency

PLACES = ["Northgate", "Riverside", "Harbourview", "Oakfield", "Westmoor", "Kestrel", "Linden"]
PLACES += ["Ashby", "Brightwater", "Copperleaf", "Greenfield", "Meridian", "Stonebridge"]
ORGANISATIONS = {
    "Hospitals": ["Hospital", "Clinic", "Health Trust", "Care Group", "Community Health"],
    "Schools": ["Academy", "Primary", "College", "Learning Trust", "High School"],
    "Manufacturers": ["Components", "Foods", "Plastics", "Metalworks", "Engineering"],
}
PRODUCTS = ["Patient flow", "Parent messaging", "Line-stop early warning", "Shift reporting"]
PRODUCTS += ["Maintenance planning", "Theatre scheduling", "Attendance alerts", "Rostering"]
FIRST_NAMES = ["Helen", "Tom", "Priya", "Mark", "Janet", "Lars", "Sofia", "Owen", "Amira", "Ian"]
FIRST_NAMES += ["Grace", "Yusuf", "Mei", "Carlos", "Ingrid", "Dev", "Nora", "Felix"]
LAST_NAMES = ["Shaw", "Okoro", "Nair", "Ellis", "Cole", "Berg", "Marin", "Price", "Haddad"]
LAST_NAMES += ["Walsh", "Iqbal", "Novak", "Reyes", "Lund", "Adeyemi", "Moreau"]
TITLES = ["Head of Operations", "Finance Director", "IT Security Lead", "Business Manager"]
TITLES += ["Operations Lead", "Matron", "Head Teacher", "Plant Manager", ""]
NOTES = [
    "Walked through last quarter's numbers together.",
    "They count the cost of the problem every month now.",
    "Asked who else feels it; the night team does.",
    "Finance wants payback numbers before any pilot.",
    "Showed how the board would look for their team.",
    "Agreed to meet the operations lead next week.",
    "No budget until the new financial year.",
    "They are talking to another supplier as well.",
    "Left a message, no answer yet.",
    "",
]
EMOTIONS = ["", "", "", "Frustrated", "Tired of firefighting", "Hopeful", "Wary of IT", "Relieved"]
WHYS = [
    "We lose two shifts a month to stoppages nobody sees coming.",
    "Parents chase us by phone because messages go missing.",
    "Beds stay blocked over the weekend because discharges stall on Fridays.",
    "Every audit finds the same gaps and we fix them by hand.",
    "Rotas are rebuilt every morning and still run late.",
    "The board asked why overtime doubled, and nobody could answer.",
]
NEXT_STEPS = ["", "Agree the pilot scope", "Meet finance", "Send the security pack", "Site visit"]
ADDED_STEPS = [
    ("Reference call with another customer", OwnerSide.US),
    ("Finance review of the business case", OwnerSide.PROSPECT),
    ("Data protection impact assessment", OwnerSide.PROSPECT),
    ("Workshop with the people who feel the problem", OwnerSide.BOTH),
    ("Contract review by legal", OwnerSide.PROSPECT),
    ("Agree success measures for the pilot", OwnerSide.BOTH),
]
PURPOSES = [
    "Hear whether the pilot scope still fits",
    "Find out who else feels the problem",
    "Confirm who signs off the change",
    "Ask whether the numbers they shared still hold",
    "Check the next step in their plan is still theirs",
]
HOLD_RULES = ["after_conversation", "after_soe_step", "dragging_evaluation", "end_of_quarter"]
HOLD_RULES += [None, None]
PURPOSE_AFTER = "Hear how the {kind} conversation sits with them — does it still answer their why?"
DRAFTS = ["Could we look at this together next week?", "", "Short note: how did the board go?"]
CLOSE_NOTES = ["", "", "They went quiet after the demo", "Budget moved to another project"]
EARLY_REASONS = ["They asked us to call today", "Their board meets tomorrow"]
DISMISS_REASONS = ["They already answered on the phone", "The deal moved on without it"]
SKIP_REASON = "Not needed: they agreed to go without it"
RECEPTION_NOTE = "They do not want to commit to dates yet."
CURRENCIES = [Currency.EUR] * 14 + [Currency.GBP] * 3 + [Currency.USD] * 2 + [Currency.CHF]
KINDS_IN_ORDER = [
    ConversationKind.INITIAL_OUTREACH,
    ConversationKind.QUALIFYING,
    ConversationKind.SOLUTION_DEVELOPMENT,
    ConversationKind.EVALUATION_CHECK_IN,
    ConversationKind.DECISION,
]
RECEPTIONS = ["keen"] * 4 + ["lukewarm", "lukewarm", "declined"] + ["not_shared"] * 3
# Django computes an enum's .values afresh on each use: read them once.
CHANNELS = list(Channel.values)
BUYING_ROLES = list(Contact.BuyingRole.values)
ANSWERS = ("has_problem", "accepts_significance", "ready_to_act")
UNKNOWN_STATE = (Answer.UNKNOWN.value,) * 3
