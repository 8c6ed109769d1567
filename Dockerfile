# One image for web, worker, beat and the one-shot migrate service. Two stages: the first
# installs the dependencies into a virtualenv and collects the static files; the second
# copies only those and the code, and runs as an unprivileged user. .dockerignore keeps .env
# (secrets), the local database and the caches out of the build.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install ".[sentry]"
COPY . .
# Settings need a key and a host to load; these exist only for this command.
RUN DJANGO_ENV=production SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH DJANGO_ENV=production
RUN useradd --create-home --uid 10001 klyngeplan
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=klyngeplan:klyngeplan /app /app
USER klyngeplan
EXPOSE 8000
# Liveness: /healthz answers before host checks and without the database.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
# 3 gunicorn workers, as docker-compose.yml and the README say.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
