"""Settings: embedded defaults for development, refusal in production without secrets."""

import os
import subprocess
import sys

from django.conf import settings

CHECK = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_danish_by_default_with_english() -> None:
    assert settings.LANGUAGE_CODE == "da"
    assert [code for code, _ in settings.LANGUAGES] == ["da", "en"]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_production_refuses_without_secret_key() -> None:
    result = _run({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_without_allowed_hosts() -> None:
    result = _run({"DJANGO_ENV": "production", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_starts_with_both() -> None:
    result = _run(
        {"DJANGO_ENV": "production", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.org"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_no_environment_means_sqlite_and_eager_tasks() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"], result.stderr


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3y-" + "x9Y!" * 16,
    "ALLOWED_HOSTS": "klyngeplan.example.org",
}


def test_check_deploy_with_production_settings_finds_nothing() -> None:
    # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process; a deployment not
    unset = {"DEBUG", "SECURE_HSTS_SECONDS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_sends_hsts_redirects_to_https_and_trusts_the_proxy_header() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LOG_FORMAT)"
    )
    out = _run_code(code, PRODUCTION_ENV)
    assert out == "31536000 True ('HTTP_X_FORWARDED_PROTO', 'https') True True json"
    relaxed = _run_code(
        code,
        {
            **PRODUCTION_ENV,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_SSL_PROTO",
            "LOG_FORMAT": "text",
        },
    )
    assert relaxed == "31536000 False ('HTTP_X_FORWARDED_SSL_PROTO', 'https') True True text"


def _run_code(code: str, env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "LOG_FORMAT"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sentry_only_with_a_dsn() -> None:
    code = (
        "import sys, django; django.setup(); import sentry_sdk as s; "
        "print(s.get_client().is_active(), s.get_client().options['send_default_pii'])"
    )
    without = "import sys, django; django.setup(); print('sentry_sdk' in sys.modules)"
    assert _run_code(without, {}) == "False"  # not even imported
    dsn = {"SENTRY_DSN": "https://public@sentry.example.invalid/1"}
    assert _run_code(code, dsn) == "True False"
