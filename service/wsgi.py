"""WSGI entry point for gunicorn: `gunicorn service.wsgi:app`."""

from core import logs
from core.config import Settings
from service.app import create_app

_settings = Settings.from_env()
logs.configure(_settings.log_level)
app = create_app(_settings)
