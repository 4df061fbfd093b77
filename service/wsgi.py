"""WSGI entry point for gunicorn: `gunicorn service.wsgi:app`."""

from moderation import logs
from moderation.config import Settings
from service.app import create_app

_settings = Settings.from_env()
logs.configure(_settings.log_level)
app = create_app(_settings)
