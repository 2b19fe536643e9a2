"""`rrall serve` as a real process: first start creates an admin, --load-cases stores the
examples, the API answers, and the log holds route templates, never case ids."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT

RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_with_the_examples(tmp_path: Path) -> None:
    env = os.environ | {"RRALL_HOME": str(tmp_path), "RRALL_DATABASE_URL": f"sqlite:///{tmp_path}/rrall.db"}
    for key in ("RRALL_SECRET_KEY", "RRALL_SETTINGS"):
        env.pop(key, None)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([*RRALL, "serve", "--port", str(port), "--load-cases",
                                   str(ROOT / "examples" / "cases")], env=env, stdout=out, stderr=out)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/api/v1/knowledge", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            token = subprocess.run([*RRALL, "users", "token", "admin"], env=env, capture_output=True,
                                   text=True, check=True).stdout.strip()
            listed = httpx.get(base + "/api/v1/cases", params={"limit": 100},
                               headers={"Authorization": f"Bearer {token}"}).json()
            assert listed["total"] == 23
            case = httpx.get(base + f"/api/v1/cases/{listed['items'][0]['id']}",
                             headers={"Authorization": f"Bearer {token}"})
            assert case.status_code == 200
            assert httpx.get(base + "/cases", follow_redirects=False).status_code == 303
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    box = text[text.index("First start: rrall created the administrator account."):]
    assert "Password " in box and "rrall users set-password admin" in box
    assert text.index("Uvicorn running on") < text.index("First start"), "the box comes after the start-up"
    assert "Loaded 23 case(s)" in text
    assert "GET /api/v1/cases/{pk} 200" in text
    assert "b-marrow-early" not in text and "ph-positive" not in text
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
