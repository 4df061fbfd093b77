"""Response JSON through orjson: every API answer is serialised here, and the standard
library's encoder was a visible share of a request's CPU in the profile
(bench/profiles/). Output matches Flask's own provider's (keys sorted, compact); anything
orjson cannot encode goes to Flask's provider. Request bodies are still parsed by the
standard library (its errors are the ones the request guard and the schemas answer)."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_SORT_KEYS


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # an explicit json.dumps option: Flask's provider honours it
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, option=_OPTIONS).decode()
        except TypeError:
            return super().dumps(obj)

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, option=_OPTIONS) + b"\n"
        except TypeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body, mimetype=self.mimetype)
