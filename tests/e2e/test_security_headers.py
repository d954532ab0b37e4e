"""What the running gateway (waitress, as deployed) says about itself and lets caches keep."""

from __future__ import annotations

import requests


def test_no_answer_names_the_server_software(base_url, new_agency):
    owner = new_agency()
    answers = [
        requests.get(f"{base_url}/login", timeout=10),
        requests.get(f"{base_url}/nowhere", timeout=10),
        owner.get("/me", expect=200),
    ]
    for response in answers:
        assert "Server" not in response.headers, response.headers
        assert "waitress" not in str(response.headers).lower()
    assert answers[2].headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in answers[0].headers["Content-Security-Policy"]
