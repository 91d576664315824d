"""Where Django finds the pipeline app's models: each part of the product defines its own
(deals, the Sequence of Events, follow-ups) and they keep the app label `pipeline` and its
migrations. Code imports a model from its part, not from here."""

from pipeline.appointments.models import Appointment, AppointmentChange
from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, Stage, StageChange
from pipeline.followups.models import FollowUp, FollowUpEvent, PatienceRule
from pipeline.soe.models import (
    CalendarFeed,
    OwnerSide,
    Sequence,
    SoeChange,
    SoeStep,
    SoeTemplate,
    SoeTemplateStep,
    StepKind,
)

__all__ = [
    "Appointment",
    "AppointmentChange",
    "BulkEdit",
    "BulkEditRow",
    "CalendarFeed",
    "CloseReason",
    "FollowUp",
    "FollowUpEvent",
    "Opportunity",
    "OwnerSide",
    "PatienceRule",
    "Pipeline",
    "Sequence",
    "SoeChange",
    "SoeStep",
    "SoeTemplate",
    "SoeTemplateStep",
    "Stage",
    "StageChange",
    "StepKind",
]
