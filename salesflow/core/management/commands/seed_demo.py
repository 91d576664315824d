"""Fill a fresh salesflow with believable demo people (and, as features land, their data).

Idempotent: running it again creates only what is missing and never resets a password
someone has changed since.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from pipeline.demo import seed_history, seed_opportunities
from pipeline.reviews.demo import seed_reviews
from prospects.demo import seed_prospects
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
            accounts = seed_prospects()
            deals = seed_opportunities()
            history = seed_history()
            reviews = seed_reviews()
        self._print_logins(people)
        if accounts:
            self.stdout.write(
                f"Added {accounts} demo accounts with contacts, conversations and whys."
            )
        if deals:
            self.stdout.write(f"Added {deals} demo deals across the stages, a few of them stuck.")
        if history:
            self.stdout.write(f"Added {history} closed deals over six quarters, for the dashboard.")
        if reviews:
            self.stdout.write(
                "Added a finished plusses/deltas review with its actions, and the next one, "
                "ready to start (sign in as sam to facilitate)."
            )

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
