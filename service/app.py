"""The Flask application factory."""

from __future__ import annotations

import secrets
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask
from flask_smorest import Api

from core.config import Settings
from service import auth, errors, metrics, rate_limits, request_guard, web
from service.api import (
    admin_models,
    admin_policy,
    admin_rules,
    article_policy,
    articles,
    authors,
    comments,
    coral,
    dsa,
    health,
    moderation,
    perspective,
    privacy,
    quality,
    webhooks,
)
from service.json_provider import OrjsonProvider
from service.runtime import Runtime
from worker.webhook_targets import allow_list

# Swagger UI's files are served by the service itself (from the flask-swagger-ui package, which
# ships Swagger UI's release files), so /docs works offline and loads nothing from a CDN.
SWAGGER_UI_ASSETS = "/docs/assets"


def _swagger_ui_assets() -> Blueprint:
    dist = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
    return Blueprint("swagger_ui_assets", __name__, static_folder=str(dist),
                     static_url_path=SWAGGER_UI_ASSETS)


class ModerationApi(Api):
    """flask-smorest with this service's error shape everywhere."""

    ERROR_SCHEMA = errors.ErrorSchema

    def _register_error_handlers(self) -> None:
        errors.register(self._app)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    settings = settings or Settings.from_env()
    # A malformed WEBHOOK_ALLOWED_HOSTS stops the API at start, not at the first registration.
    allow_list(settings.webhook_allowed_hosts)
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
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
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_ASSETS + "/",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer",
                                   "description": "An API key from `moderation keys create`."},
                    "perspectiveKey": {"type": "apiKey", "in": "query", "name": "key",
                                       "description": "A site key as `?key=`, as Perspective "
                                                      "API clients send it (that route only)."},
                    "coralSignature": {"type": "apiKey", "in": "header", "name": "X-Coral-Signature",
                                       "description": "sha256=<hex HMAC-SHA256 of the raw body> "
                                                      "with a CORAL_SIGNING_SECRETS secret."},
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    app.extensions["moderation"] = runtime or Runtime.build(settings)
    # Limiter before authentication: failed keys count against the caller's address.
    request_guard.register(app, after=lambda a: (rate_limits.register(a), auth.register(a)))
    api = ModerationApi(app)
    for module in (health, comments, articles, admin_models, admin_policy, admin_rules, moderation,
                   authors, article_policy, perspective, coral, webhooks, privacy, dsa, quality):
        api.register_blueprint(module.blp)
    app.extensions["moderation_api"] = api
    app.register_blueprint(_swagger_ui_assets())
    app.register_blueprint(web.blp)  # the moderators' page: HTML, session login, CSRF
    metrics.register(app)
    return app
