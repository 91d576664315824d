"""What the rows point at and who writes them: the reference data (pipeline, stages, close
reasons, patience rules, segments, sources, SOE templates) and the scale users and teams."""

from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps

from pipeline.benchmark.scale.sizes import PREFIX, Size
from pipeline.benchmark.scale.text import Clock
from pipeline.benchmark.scale.words import FIRST_NAMES, LAST_NAMES
from pipeline.deals.models import CloseReason, Pipeline, Stage
from pipeline.followups.models import PatienceRule
from pipeline.soe.demo import seed_soe_templates
from pipeline.soe.models import SoeTemplate
from prospects.demo import seed_segments_and_sources
from prospects.models import FacilitativeQuestion
from salesflow.core import services as core_services
from salesflow.core.models import User


@dataclass
class Context:
    """The reference rows and the people every generated row points at."""

    clock: Clock
    pipeline: Pipeline
    open_stages: list[Stage]
    won: Stage
    lost: Stage
    won_reasons: list[CloseReason]
    lost_reasons: list[CloseReason]  # lost and disqualified: both fit a lost deal
    segments: list[Any]
    sources: list[Any]
    templates: dict[int, tuple[SoeTemplate, list[Any]]]  # by segment id
    questions: dict[str, list[int]]  # active question ids by conversation kind
    rules: dict[str, PatienceRule]
    reps: list[User]
    managers: list[User]  # by team index
    team_of: list[int]  # team index by rep index
    teammates: list[list[int]]  # rep indexes by team index
    sales_ops: User
    admin: User


def seed_reference_data() -> None:
    """The default pipeline, close reasons, patience rules, segments, lead sources, step
    kinds and SOE templates, by the functions the migrations and seed_demo use; each
    creates only what is missing."""
    for module, function in [
        ("pipeline.migrations.0002_default_pipeline", "add_default_pipeline"),
        ("pipeline.migrations.0004_close_reasons", "add_reasons"),
        ("pipeline.migrations.0007_default_patience_rules", "add_rules"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)
    seed_segments_and_sources()
    seed_soe_templates()


def _people(size: Size) -> tuple[list[User], list[User], User, User]:
    """The scale users and teams, with no usable password: sign in as them with
    force_login (the benchmark and the tests do) or set a password in the admin."""
    names = itertools.cycle(itertools.product(FIRST_NAMES, LAST_NAMES))
    wanted = [(f"{PREFIX}admin", User.Role.ADMIN), (f"{PREFIX}ops", User.Role.SALES_OPS)]
    wanted += [(f"{PREFIX}manager-{t + 1}", User.Role.MANAGER) for t in range(size.teams)]
    wanted += [(f"{PREFIX}rep-{r + 1:02d}", User.Role.REP) for r in range(size.reps)]
    users = []
    for username, role in wanted:
        first, last = next(names)
        user = User(username=username, role=role, first_name=first, last_name=last)
        user.email = f"{username}@scale.salesflow.test"
        core_services.user_apply_role(user=user)
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    by_name = {user.username: user for user in User.objects.filter(username__startswith=PREFIX)}
    managers = []
    for t in range(size.teams):
        manager = by_name[f"{PREFIX}manager-{t + 1}"]
        core_services.team_create(name=f"{PREFIX}team-{t + 1}", manager=manager)
        managers.append(User.objects.get(pk=manager.pk))
    reps = [by_name[f"{PREFIX}rep-{r + 1:02d}"] for r in range(size.reps)]
    for r, rep in enumerate(reps):
        rep.team_id = managers[r % size.teams].team_id
    User.objects.bulk_update(reps, ["team"])
    return reps, managers, by_name[f"{PREFIX}ops"], by_name[f"{PREFIX}admin"]


def make_context(size: Size, now: datetime) -> Context:
    seed_reference_data()
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position", "pk"))
    open_stages = [stage for stage in stages if stage.outcome == Stage.Outcome.OPEN]
    won = next((stage for stage in stages if stage.outcome == Stage.Outcome.WON), None)
    lost = next((stage for stage in stages if stage.outcome == Stage.Outcome.LOST), None)
    if len(open_stages) < 2 or won is None or lost is None:
        raise ValueError(f"The default pipeline {pipeline} needs open stages, a won and a lost.")
    reasons = list(CloseReason.objects.filter(active=True).order_by("kind", "position", "pk"))
    won_reasons = [reason for reason in reasons if reason.fits(Stage.Outcome.WON)]
    lost_reasons = [reason for reason in reasons if reason.fits(Stage.Outcome.LOST)]
    if not won_reasons or not lost_reasons:
        raise ValueError("The data set needs an active close reason for won and for lost deals.")
    by_name, source_by_name = seed_segments_and_sources()
    segments, sources = list(by_name.values()), list(source_by_name.values())
    templates = {}
    for segment in segments:
        template = SoeTemplate.objects.filter(segment=segment).order_by("name").first()
        if template is not None:
            templates[segment.pk] = (template, list(template.steps.order_by("position", "pk")))
    questions: dict[str, list[int]] = {}
    for pk, kind in FacilitativeQuestion.objects.filter(active=True).values_list("pk", "kind"):
        questions.setdefault(kind, []).append(pk)
    rules = {rule.kind: rule for rule in PatienceRule.objects.filter(active=True).order_by("pk")}
    reps, managers, ops, admin = _people(size)
    team_of = [r % size.teams for r in range(size.reps)]
    teammates = [[r for r in range(size.reps) if team_of[r] == t] for t in range(size.teams)]
    return Context(
        clock=Clock(now),
        pipeline=pipeline,
        open_stages=open_stages,
        won=won,
        lost=lost,
        won_reasons=won_reasons,
        lost_reasons=lost_reasons,
        segments=sorted(segments, key=lambda s: s.name),
        sources=sorted(sources, key=lambda s: s.name),
        templates=templates,
        questions=questions,
        rules=rules,
        reps=reps,
        managers=managers,
        team_of=team_of,
        teammates=teammates,
        sales_ops=ops,
        admin=admin,
    )
