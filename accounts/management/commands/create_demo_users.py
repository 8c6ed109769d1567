from typing import Any

from django.core.management.base import BaseCommand

from accounts.services import create_demo_users


class Command(BaseCommand):
    help = "Create a demo user per role and an admin. Passwords are printed once, at creation."

    def handle(self, *args: Any, **options: Any) -> None:
        for user in create_demo_users():
            if user.password:
                self.stdout.write(f"  {user.username:<11} ({user.role}) password: {user.password}")
            else:
                self.stdout.write(
                    f"  {user.username:<11} ({user.role}) exists; reset with "
                    f"`manage.py changepassword {user.username}`"
                )
