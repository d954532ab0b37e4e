"""The OpenAPI 3 document of /api/v1, and a page that renders it (no CDN, no JavaScript).

One mechanism: every route of the `api` blueprint is walked from Flask's URL map; its
operations come from the YAML after `---` in the view's docstring (schemas named by their
marshmallow class), and a route without YAML still appears with its docstring's first line.
Path parameters come from the rule itself. Write the YAML like this:

    @api.get("/things/<thing_id>")
    def get_thing(thing_id):
        '''One thing.
        ---
        get:
          tags: [things]
          summary: Get a thing
          responses:
            200:
              content:
                application/json:
                  schema: Thing
        '''

Marshmallow schema class names must be unique across the API's schema modules: they become the
document's component names.
"""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import current_app, render_template
from markupsafe import Markup, escape

import gateway.api.schemas  # registers the schema classes the YAML names
from gateway.api.base import api

TITLE = "Agency Platform API"
VERSION = "1.0.0"
ERROR_RESPONSE = {"$ref": "#/components/responses/Error"}
PATH_ARG = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
CONVERTER_TYPES = {"int": "integer", "float": "number", "uuid": "string", "path": "string"}
METHODS = ("get", "post", "put", "patch", "delete")

DESCRIPTION = """\
JSON over HTTPS. Authenticate with a personal API token (`Authorization: Bearer <token>`,
create one under Settings → API tokens or with `POST /api/v1/tokens`) or with the session cookie
that `POST /api/v1/auth/login` sets.

Every failure answers one body: `{"error": {"code", "message", "fields"}}` where `fields` maps
a field name to what is wrong with it. Unknown fields in a request body are refused.
"""


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """Flask's `/users/<uuid:user_id>` as OpenAPI's `/users/{user_id}`, with its parameters."""
    parameters = []
    for match in PATH_ARG.finditer(rule):
        kind = CONVERTER_TYPES.get(match.group("converter") or "", "string")
        parameters.append(
            {"in": "path", "name": match.group("name"), "required": True, "schema": {"type": kind}}
        )
    return PATH_ARG.sub(lambda m: "{" + m.group("name") + "}", rule), parameters


def _operations(view, methods: set[str]) -> dict:
    """The YAML operations of a view for these methods; a plain summary where YAML is missing."""
    documented = load_operations_from_docstring(view.__doc__ or "")
    summary = (view.__doc__ or view.__name__).strip().splitlines()[0]
    operations = {}
    for method in sorted(methods):
        operation = dict(documented.get(method) or {"summary": summary})
        operation.setdefault("responses", {})
        operation["responses"].setdefault("default", ERROR_RESPONSE)
        operations[method] = operation
    return operations


def build_spec(app) -> dict:
    """The OpenAPI document of every /api/v1 route of `app`."""
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": "/"}],
        security=[{"bearerAuth": []}, {"cookieAuth": []}],
    )
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A personal API token"}
    )
    spec.components.security_scheme(
        "cookieAuth",
        {"type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"]},
    )
    spec.components.schema("Error", schema=gateway.api.schemas.Error)
    spec.components.response(
        "Error",
        {
            "description": "The request failed; the body says why",
            "content": {"application/json": {"schema": "Error"}},
        },
    )
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    for rule in rules:
        if not rule.endpoint.startswith(f"{api.name}."):
            continue
        methods = {m.lower() for m in rule.methods or ()} & set(METHODS)
        path, parameters = openapi_path(rule.rule)
        spec.path(
            path=path,
            operations=_operations(app.view_functions[rule.endpoint], methods),
            parameters=parameters or None,
        )
    return spec.to_dict()


def spec_dict() -> dict:
    """The app's document, built once (the routes do not change while it runs)."""
    cache = current_app.extensions.setdefault("openapi", {})
    if "spec" not in cache:
        cache["spec"] = build_spec(current_app)
    return cache["spec"]


@api.get("/openapi.json")
def openapi_json():
    """This document."""
    return spec_dict()


@api.get("/docs")
def docs():
    """The API reference, rendered from the OpenAPI document."""
    spec = spec_dict()
    intro = [_inline_code(text) for text in spec["info"].get("description", "").split("\n\n")]
    return render_template("api_docs.html", spec=spec, groups=_grouped(spec), intro=intro)


def _inline_code(text: str) -> Markup:
    """Markdown's `code` spans as <code>, everything else escaped."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _grouped(spec: dict) -> list[tuple[str, list[dict]]]:
    """Operations grouped by their first tag, in the order tags first appear."""
    groups: dict[str, list[dict]] = {}
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            tag = (operation.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "path": path,
                    "method": method,
                    "operation": operation,
                    "parameters": shared + operation.get("parameters", []),
                    "public": operation.get("security") == [],
                    "anchor": f"{method}-{re.sub(r'[^a-z0-9]+', '-', path.lower()).strip('-')}",
                }
            )
    return list(groups.items())
