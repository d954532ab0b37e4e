"""CSV uploads reach the clients service in pieces: never whole, in one RPC, in memory."""

import base64
import io

from gateway.uploads import CSV_PIECE_BYTES

OWNER = {"Authorization": "Bearer owner-token"}


def recording_uploads(rpc, status="queued"):
    """Answer the upload RPCs; the pieces received, in order."""
    pieces: list[bytes] = []
    authenticate = rpc.answers[("identity", "authenticate_api_token")]

    def importer(token):
        principal = authenticate(token)
        return {**principal, "permissions": [*principal["permissions"], "create_clients"]}

    rpc.answers[("identity", "authenticate_api_token")] = importer

    def append(job_id, seq, data_base64):
        assert (job_id, seq) == ("job-1", len(pieces))
        pieces.append(base64.b64decode(data_base64))
        return {"id": job_id, "chunks": len(pieces), "size": sum(map(len, pieces))}

    rpc.answers[("clients", "create_import")] = lambda kind, filename=None: {"id": "job-1"}
    rpc.answers[("clients", "append_import_chunk")] = append
    rpc.answers[("clients", "start_upload")] = lambda job_id, mapping=None, skip_updates=False: {
        "id": job_id,
        "status": status,
    }
    rpc.answers[("clients", "preview_upload")] = lambda job_id, mapping=None, skip_updates=False: {
        "total_rows": 1
    }
    rpc.answers[("clients", "discard_upload")] = lambda job_id: None
    return pieces


def test_an_uploaded_file_is_sent_in_pieces_and_cp1252_becomes_utf8(client, rpc):
    pieces = recording_uploads(rpc)
    text = "name,email\n" + "".join(f"Zoë {i},z{i}@x.com\n" for i in range(40_000))
    response = client.post(
        "/api/v1/clients/import",
        headers=OWNER,
        data={"kind": "contacts", "file": (io.BytesIO(text.encode("cp1252")), "people.csv")},
    )
    assert response.status_code == 202, response.json
    assert len(pieces) > 2 and max(map(len, pieces)) <= CSV_PIECE_BYTES * 2
    assert b"".join(pieces).decode("utf-8") == text
    assert rpc.methods()[-1] == "clients.start_upload"


def test_a_json_preview_uploads_previews_and_discards(client, rpc):
    pieces = recording_uploads(rpc)
    body = {"kind": "clients", "csv": "name\nAcme\n", "preview": True}
    response = client.post("/api/v1/clients/import", headers=OWNER, json=body)
    assert response.status_code == 200 and response.json == {"total_rows": 1}
    assert pieces == [b"name\nAcme\n"]
    assert [m for m in rpc.methods() if m.startswith("clients.")] == [
        "clients.create_import",
        "clients.append_import_chunk",
        "clients.preview_upload",
        "clients.discard_upload",
    ]


def test_a_file_over_the_limit_is_refused_before_anything_is_sent(client, rpc):
    recording_uploads(rpc)
    big = io.BytesIO(b"name\n" + b"x" * (10 * 1024 * 1024))
    response = client.post("/api/v1/clients/import", headers=OWNER, data={"file": (big, "big.csv")})
    assert response.status_code == 413
    assert not [m for m in rpc.methods() if m.startswith("clients.")]
