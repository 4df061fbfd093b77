"""The Flask application factory."""

from __future__ import annotations

import secrets

from flask import Flask
from flask_smorest import Api

from moderation.config import Settings
from service import auth, errors, request_guard
from service.api import articles, comments, health
from service.runtime import Runtime


class ModerationApi(Api):
    """flask-smorest with this service's error shape everywhere."""

    ERROR_SCHEMA = errors.ErrorSchema

    def _register_error_handlers(self) -> None:
        errors.register(self._app)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        MODERATION=settings,
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Newsroom comment moderation",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer",
                                   "description": "An API key from `moderation keys create`."}
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    app.extensions["moderation"] = runtime or Runtime.build(settings)
    request_guard.register(app, after=auth.register)
    api = ModerationApi(app)
    for module in (health, comments, articles):
        api.register_blueprint(module.blp)
    app.extensions["moderation_api"] = api
    return app
