import os

from django.core.wsgi import get_wsgi_application

from config.database import limit_web_statements

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Web requests only: statement and lock timeouts on PostgreSQL (config/database.py).
limit_web_statements()
