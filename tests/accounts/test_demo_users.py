import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command


@pytest.mark.django_db
def test_demo_users_created_once_with_passwords_printed_once() -> None:
    out = io.StringIO()
    call_command("create_demo_users", stdout=out)
    first = out.getvalue()
    assert first.count("password:") == 4
    assert set(Group.objects.values_list("name", flat=True)) == {
        "planner",
        "negotiator",
        "viewer",
        "api-client",
    }
    assert User.objects.get(username="planner").groups.filter(name="planner").exists()
    assert User.objects.get(username="admin").is_superuser
    out = io.StringIO()
    call_command("create_demo_users", stdout=out)
    assert "password:" not in out.getvalue()
    assert User.objects.count() == 4
