"""Fill a fresh salesflow with believable demo people, and each app's demo data.

core seeds the people; every installed app with a `demo` module seeds its own data through
that module's `seed()`, in INSTALLED_APPS order (an app seeds after the apps it builds on),
and returns the lines to print. core names no app.

Idempotent: running it again creates only what is missing and never resets a password
someone has changed since.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from salesflow.core import services
from salesflow.core.models import Team, User

DEMO_PASSWORD = "salesflow-demo"
TEAM_NAME = "North"

# (username, first name, last name, role, on the demo team)
DEMO_PEOPLE: list[tuple[str, str, str, str, bool]] = [
    ("maria", "Maria", "Okafor", User.Role.MANAGER, True),
    ("ana", "Ana", "Ribeiro", User.Role.REP, True),
    ("ben", "Ben", "Carter", User.Role.REP, True),
    ("chloe", "Chloe", "Dubois", User.Role.REP, True),
    ("sam", "Sam", "Patel", User.Role.SALES_OPS, False),
    ("admin", "Alex", "Morgan", User.Role.ADMIN, False),
]


def app_demo_seeds() -> list[Callable[[], list[str]]]:
    """Each installed app's demo.seed, in INSTALLED_APPS order."""
    seeds = []
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "demo"):
            continue
        seed = getattr(import_module(f"{config.name}.demo"), "seed", None)
        if seed is not None:
            seeds.append(seed)
    return seeds


class Command(BaseCommand):
    help = "Create demo users (a manager, three reps, sales ops, an admin) and demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off. Demo accounts share a known password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a shared, published password; it runs only "
                "with DEBUG on. Pass --force to seed anyway."
            )
        with transaction.atomic():
            people = self._seed_people()
            added = [line for seed in app_demo_seeds() for line in seed()]
        self._print_logins(people)
        for line in added:
            self.stdout.write(line)

    def _seed_people(self) -> list[tuple[User, bool]]:
        team = Team.objects.filter(name=TEAM_NAME).first()
        seeded: list[tuple[User, bool]] = []
        for username, first, last, role, on_team in DEMO_PEOPLE:
            user = User.objects.filter(username=username).first()
            created = user is None
            if user is None:
                user = services.user_create(
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.salesflow.test",
                )
            if role == User.Role.MANAGER and team is None:
                team = services.team_create(name=TEAM_NAME, manager=user)
            if on_team and user.team_id is None:
                user.team = team
                user.save(update_fields=["team"])
            seeded.append((user, created))
        return seeded

    def _print_logins(self, people: list[tuple[User, bool]]) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /login/ as:"))
        self.stdout.write(f"  {'username':<10} {'password':<16} role")
        for user, created in people:
            if created or user.check_password(DEMO_PASSWORD):
                password = DEMO_PASSWORD
            else:
                password = "(changed)"
            self.stdout.write(f"  {user.username:<10} {password:<16} {user.get_role_display()}")
