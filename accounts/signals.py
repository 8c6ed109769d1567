"""Receivers: failed and successful logins feed the lockout; a user whose password changes or
who is deactivated loses every API token (a token would otherwise outlive both)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import lockout, services

User = get_user_model()


@receiver(user_login_failed, dispatch_uid="accounts.lockout.failure")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    lockout.record_failure(request=request, username=str(credentials.get("username") or ""))


@receiver(user_logged_in, dispatch_uid="accounts.lockout.success")
def _logged_in(sender: Any, user: Any, **kwargs: Any) -> None:
    lockout.record_success(username=user.get_username())


@receiver(pre_save, sender=User, dispatch_uid="accounts.tokens.note_change")
def _note_credential_change(
    sender: Any, instance: Any, update_fields: Any = None, **kw: Any
) -> None:
    instance._revoke_tokens = False
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: no extra query
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._revoke_tokens = before["password"] != instance.password or (
        before["is_active"] and not instance.is_active
    )


@receiver(post_save, sender=User, dispatch_uid="accounts.tokens.revoke")
def _revoke_on_credential_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, "_revoke_tokens", False):
        services.revoke_tokens(user=instance)
        instance._revoke_tokens = False
