"""Odd input never makes the system fail: generated from the OpenAPI document, every operation
gets a lone UTF-16 surrogate, a NUL character and absurdly deep nesting in each of its JSON body
fields, form fields, uploaded file names and query parameters (and in an extra query argument,
so operations without parameters are probed too). Text the gateway refuses is a 400 before any
view runs; nothing is ever a 5xx."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.api import sign_up

DEPTH = 5000
# Raw JSON text of each odd value: the surrogate and the NUL as JSON escapes, as a client sends
# them (a lone surrogate cannot even be encoded as UTF-8).
ODD_JSON = {
    "surrogate": '"\\ud800@example.com"',
    "nul": '"a\\u0000b"',
    "deep": "[" * DEPTH + "]" * DEPTH,
}
# The same in a query string or form field: text, percent-encoded by the client library.
ODD_TEXT = {"surrogate": "\udcff".encode("utf-8", "surrogatepass"), "nul": b"a\x00b"}
ODD_TEXT["deep"] = ("[" * DEPTH + "]" * DEPTH).encode()


@pytest.fixture(scope="module")
def owner(base_url, mailbox):
    return sign_up(base_url, mailbox)


@pytest.fixture(scope="module")
def operations(owner) -> list[tuple[str, str, dict]]:
    spec = owner.anonymous().get("/openapi.json", expect=200).json()
    schemas = spec["components"]["schemas"]
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            content = operation.get("requestBody", {}).get("content", {})
            for body in content.values():
                ref = body["schema"].get("$ref", "")
                body["schema"] = schemas.get(ref.split("/")[-1], body["schema"])
            found.append((method, path.removeprefix("/api/v1"), operation))
    return found


def _fill_path(path: str) -> str:
    """Path parameters get a well-formed id nobody has: the checks come before any lookup."""
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + str(uuid.uuid4()) + path[end + 1 :]
    return path


def _multipart(name: str, value: bytes, filename: bytes | None = None) -> dict:
    """A multipart body built by hand: client libraries escape control characters in file
    names, and the point is to send them raw."""
    boundary = uuid.uuid4().hex
    disposition = b'form-data; name="' + name.encode() + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b"Content-Disposition: " + disposition + b"\r\n\r\n",
            value,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return {"data": body, "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"}}


def _probes(method: str, path: str, operation: dict):
    """(description, path, request kwargs, refused) for every odd value in every place of one
    operation; `refused` when the gateway must answer 400 (not merely no 5xx)."""
    url = _fill_path(path)
    queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    for name in [*queries, "probe"]:
        for kind, raw in ODD_TEXT.items():
            # A percent-encoded NUL is refused; undecodable bytes become U+FFFD, plain text.
            yield f"{method} {url} ?{name}={kind}", url, {"params": {name: raw}}, kind == "nul"
    content = operation.get("requestBody", {}).get("content", {})
    json_schema = content.get("application/json", {}).get("schema", {})
    for field in json_schema.get("properties", {}):
        for kind, raw in ODD_JSON.items():
            body = f'{{"{field}": {raw}}}'
            kwargs = {"data": body, "headers": {"Content-Type": "application/json"}}
            yield f"{method} {url} json {field}={kind}", url, kwargs, True
    form_schema = content.get("multipart/form-data", {}).get("schema", {})
    for field, spec in form_schema.get("properties", {}).items():
        if spec.get("format") == "binary":
            for kind, name in (("nul", b"a\x00b.csv"), ("surrogate", ODD_TEXT["surrogate"])):
                kwargs = _multipart(field, b"name\nAcme\n", filename=name)
                yield f"{method} {url} file name {kind}", url, kwargs, kind == "nul"
            continue
        for kind, raw in ODD_TEXT.items():
            # `mapping` is JSON inside a form field: its nesting is checked like a body's.
            refused = kind == "nul" or (kind == "deep" and field == "mapping")
            yield f"{method} {url} form {field}={kind}", url, _multipart(field, raw), refused


def test_the_probes_cover_every_operation_of_the_document(operations):
    assert len(operations) > 60
    for method, path, operation in operations:
        assert list(_probes(method, path, operation)), (method, path)


def test_no_odd_input_makes_any_operation_fail_with_a_5xx(owner, operations):
    failures = []
    for method, path, operation in operations:
        for description, url, kwargs, refused in _probes(method, path, operation):
            response = owner.request(method.upper(), url, **kwargs)
            if response.status_code >= 500 or (refused and response.status_code != 400):
                failures.append(f"{description}: {response.status_code} {response.text[:200]}")
    assert failures == []


def test_deep_nesting_in_an_imports_mapping_is_a_400(owner):
    mapping = json.dumps({"name": "name"})[:-1] + ', "x": ' + ODD_JSON["deep"] + "}"
    body = _multipart("mapping", mapping.encode())
    response = owner.post("/clients/import", **body)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["error"]["message"]
