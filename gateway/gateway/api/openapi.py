"""The OpenAPI 3 document of /api/v1, and a page that renders it (no CDN, no JavaScript).

One mechanism: every route of the `api` blueprint is walked from Flask's URL map; its
operations come from the YAML after `---` in the view's docstring (schemas named by their
marshmallow class), and a route without YAML still appears with its docstring's first line.
Path parameters come from the rule itself, and the failures every operation shares (400, 401,
403, 404 with an id in the path, 413/415/422 with a body, 503) are added here: a docstring
names only what is particular to it. Write the YAML like this:

    @api.patch("/things/<thing_id>")
    def update_thing(thing_id):
        '''Change a thing.
        ---
        patch:
          tags: [things]
          summary: Update a thing
          requestBody: ThingUpdateRequest
          responses:
            200: {description: The changed thing, schema: Thing}
            409: Another thing has this name
        '''

`requestBody: Name` is a required JSON body of that schema, or one of REQUEST_BODIES (an
uploaded Picture); a response's `schema` is its JSON body; a response given as text is its
description; a failure's body is the Error body. The full OpenAPI forms work too.

Marshmallow schema class names must be unique across the API's schema modules: they become the
document's component names.

Links (OpenAPI `links` on a create's 201) say where the created thing's `id` goes next, so a
client or a stateful test (schemathesis) can chain calls: each create links to every operation
under its own path and the id (`POST /clients` -> `/clients/{client_id}...`, keeping the
create's own path parameters), plus CREATED_ELSEWHERE (an id used under another path) and
CREATED_FOR (an id that goes in another create's body). Only operations whose path parameters
the link fills are linked.
"""

from __future__ import annotations

import copy
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
ERROR_BODY = {"application/json": {"schema": "Error"}}
# The failures operations share, each described once under components/responses. Which
# operation answers which is decided by `standard_errors`.
STANDARD_ERRORS = {
    "400": (
        "BadRequest",
        "The request is malformed: a body that is not a JSON object, or a NUL character",
    ),
    "401": ("Unauthenticated", "Not signed in, or the API token or session is not valid"),
    "403": ("PermissionDenied", "Your role lacks a permission this needs; the message names it"),
    "404": ("NotFound", "No such thing in your agency (another agency's ids are not found)"),
    "413": ("TooLarge", "The body is larger than the gateway accepts"),
    "415": ("UnsupportedMediaType", "The body's Content-Type is not one this takes (JSON mostly)"),
    "422": ("ValidationFailed", "A field is missing or invalid; `fields` says which and why"),
    "503": (
        "ServiceUnavailable",
        "A part of the system cannot be reached just now (a service, its database, the message "
        "broker); try again after the Retry-After seconds",
    ),
}
BINARY = {"type": "string", "format": "binary"}
# Bodies that are not JSON, by the name a docstring gives as its `requestBody`.
REQUEST_BODIES = {
    "Picture": {
        "description": "A JPG or PNG of at most 2 MB: multipart field 'file', or the body",
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": BINARY}}},
            "image/png": {"schema": BINARY},
            "image/jpeg": {"schema": BINARY},
        },
    }
}
PATH_ARG = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
CONVERTER_TYPES = {"int": "integer", "float": "number", "uuid": "string", "path": "string"}
METHODS = ("get", "post", "put", "patch", "delete")
API = "/api/v1"
# A create whose id is used under another path: (source path, target path prefix, parameter).
CREATED_ELSEWHERE = (
    (f"{API}/clients/{{client_id}}/contacts", f"{API}/contacts/{{contact_id}}", "contact_id"),
    (
        f"{API}/contacts/{{contact_id}}/invitation",
        f"{API}/invitations/{{invitation_id}}",
        "invitation_id",
    ),
    # A charge answers the invoice it made.
    (f"{API}/charges", f"{API}/invoices/{{invoice_id}}", "invoice_id"),
)
# A create whose id goes in the body of another create: (source path, target path, field).
CREATED_FOR = (
    (f"{API}/clients", f"{API}/contacts", "client_id"),
    (f"{API}/clients", f"{API}/requests", "client_id"),
    (f"{API}/clients", f"{API}/assignments", "client_id"),
    (f"{API}/clients", f"{API}/charges", "client_id"),
    (f"{API}/services", f"{API}/assignments", "service_id"),
    (f"{API}/services", f"{API}/charges", "service_id"),
)
CREATED_ID = "$response.body#/id"

DESCRIPTION = """\
JSON over HTTPS. Authenticate with a personal API token (`Authorization: Bearer <token>`,
create one under Settings → API tokens or with `POST /api/v1/tokens`) or with the session cookie
that `POST /api/v1/auth/login` sets.

Every failure answers one body: `{"error": {"code", "message", "fields"}}` where `fields` maps
a field name to what is wrong with it. Unknown fields in a request body are refused.

Every list answers one page, `{"items": [...], "total", "page", "per_page"}`, asked for with
`page` and `per_page`. An id in the path that is malformed or not of your agency is a 404; a
malformed id in a body is a 422 on its field.
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


def standard_errors(method: str, operation: dict, has_path_parameters: bool) -> set[str]:
    """The shared failures `operation` can answer (gateway/gateway/errors.py and the checks
    every request passes, gateway/gateway/input_checks.py)."""
    # Any request: a NUL in the query string, a wrong bearer token, a service that is down.
    statuses = {"400", "401", "503"}
    if operation.get("security") != [] or method != "get":
        # Permissions; and a session-cookie call that is neither JSON nor CSRF-proofed.
        statuses.add("403")
    if has_path_parameters:
        statuses.add("404")
    if "requestBody" in operation:
        statuses |= {"413", "415", "422"}
    if any(parameter.get("in") == "query" for parameter in operation.get("parameters", ())):
        statuses.add("422")
    return statuses


def _response(status: str, given: str | dict) -> dict:
    """A docstring's response in full (see the module's docstring for the short forms)."""
    response = {"description": given} if isinstance(given, str) else dict(given)
    schema = response.pop("schema", None)
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    elif not status.startswith(("1", "2", "3")) and "content" not in response:
        response["content"] = copy.deepcopy(ERROR_BODY)
    return response


def _operation(method: str, operation: dict, has_path_parameters: bool) -> dict:
    """One operation of a docstring, its short forms expanded and the shared failures added."""
    operation = dict(operation)
    body = operation.get("requestBody")
    if isinstance(body, str):
        operation["requestBody"] = copy.deepcopy(REQUEST_BODIES.get(body)) or {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    responses = {str(status): given for status, given in operation.get("responses", {}).items()}
    for status in standard_errors(method, operation, has_path_parameters):
        responses.setdefault(
            status, {"$ref": f"#/components/responses/{STANDARD_ERRORS[status][0]}"}
        )
    operation["responses"] = {
        status: given if "$ref" in given else _response(status, given)
        for status, given in sorted(responses.items())
    }
    return operation


def _operations(view, methods: set[str], has_path_parameters: bool) -> dict:
    """The YAML operations of a view for these methods; a plain summary where YAML is missing."""
    documented = load_operations_from_docstring(view.__doc__ or "")
    summary = (view.__doc__ or view.__name__).strip().splitlines()[0]
    return {
        method: _operation(
            method, documented.get(method) or {"summary": summary}, has_path_parameters
        )
        for method in sorted(methods)
    }


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
    for name, description in STANDARD_ERRORS.values():
        body = copy.deepcopy(ERROR_BODY)  # apispec resolves schema names in place
        spec.components.response(name, {"description": description, "content": body})
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    for rule in rules:
        if not rule.endpoint.startswith(f"{api.name}."):
            continue
        methods = {m.lower() for m in rule.methods or ()} & set(METHODS)
        path, parameters = openapi_path(rule.rule)
        spec.path(
            path=path,
            operations=_operations(app.view_functions[rule.endpoint], methods, bool(parameters)),
            parameters=parameters or None,
        )
    document = spec.to_dict()
    add_links(document)
    return document


def add_links(document: dict) -> None:
    """The links of every create (201 with an `id`) of `document`, in place (module docstring)."""
    paths = document["paths"]
    for path, item in paths.items():
        response = item.get("post", {}).get("responses", {}).get("201")
        if response is None or not _answers_id(document, response):
            continue
        own = {parameter["name"] for parameter in item.get("parameters", ())}
        targets = [
            (f"{path}/{{{match.group(1)}}}", match.group(1))
            for match in {
                re.match(re.escape(path) + r"/\{(\w+)\}(?:/|$)", other) for other in paths
            }
            if match
        ] + [(prefix, name) for source, prefix, name in CREATED_ELSEWHERE if source == path]
        links = {}
        for prefix, name in targets:
            for target_path, target in paths.items():
                if target_path != prefix and not target_path.startswith(prefix + "/"):
                    continue
                needed = {parameter["name"] for parameter in target.get("parameters", ())}
                if not needed <= own | {name}:
                    continue
                parameters = {name: CREATED_ID} | {n: f"$request.path.{n}" for n in needed - {name}}
                for method in METHODS:
                    if method in target:
                        links[_link_name(method, target_path)] = {
                            "operationRef": _operation_ref(target_path, method),
                            "parameters": parameters,
                        }
        for source, target_path, field in CREATED_FOR:
            if source == path and "post" in paths.get(target_path, {}):
                links[f"{_link_name('post', target_path)}-{field}"] = {
                    "operationRef": _operation_ref(target_path, "post"),
                    "requestBody": {field: CREATED_ID},
                }
        if links:
            response["links"] = links


def _answers_id(document: dict, response: dict) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return "id" in schema.get("properties", {})


def _link_name(method: str, path: str) -> str:
    """`POST /api/v1/clients/{client_id}/archive` as `post-clients-client_id-archive`."""
    words = re.sub(r"[^A-Za-z0-9_]+", "-", path.removeprefix(API)).strip("-")
    return f"{method}-{words}"


def _operation_ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def spec_dict() -> dict:
    """The app's document, built once (the routes do not change while it runs)."""
    cache = current_app.extensions.setdefault("openapi", {})
    if "spec" not in cache:
        cache["spec"] = build_spec(current_app)
    return cache["spec"]


@api.get("/openapi.json")
def openapi_json():
    """This document.
    ---
    get:
      tags: [reference]
      summary: This OpenAPI document
      security: []
      responses:
        200: {description: This document, content: {application/json: {schema: {type: object}}}}
    """
    return spec_dict()


@api.get("/docs")
def docs():
    """The API reference, rendered from the OpenAPI document.
    ---
    get:
      tags: [reference]
      summary: This reference as a web page
      security: []
      responses:
        200: {description: An HTML page, content: {text/html: {schema: {type: string}}}}
    """
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
            operation = dict(item[method])
            # The page shows shared parts themselves, not their references.
            operation["responses"] = {
                status: _resolved(spec, response)
                for status, response in operation["responses"].items()
            }
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


def _resolved(spec: dict, item: dict) -> dict:
    """`item`, or the component its `$ref` names."""
    if "$ref" not in item:
        return item
    _, _, kind, name = item["$ref"].split("/")
    return spec["components"][kind][name]
