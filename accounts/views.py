"""The web login: Django's, refusing a username or address locked by failed logins with 429."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from accounts import lockout


class LoginView(auth_views.LoginView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = lockout.refusal(request=request, username=request.POST.get("username", ""))
        if refused is None:
            return super().post(request, *args, **kwargs)
        context = self.get_context_data(form=self.get_form_class()(request), locked=refused)
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response
