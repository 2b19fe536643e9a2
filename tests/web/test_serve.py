"""`rrall serve` as a real process: first start creates an admin, --load-cases stores the
examples, the API answers, and the log holds route templates, never case ids."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.logscan import LogScan

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
            assert listed["total"] == 24
            case = httpx.get(base + f"/api/v1/cases/{listed['items'][0]['id']}",
                             headers={"Authorization": f"Bearer {token}"})
            assert case.status_code == 200
            assert httpx.get(base + "/cases", follow_redirects=False).status_code == 303
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    # Not a terminal: the password is in a file only its owner reads, never in the log stream.
    password_file = tmp_path / "admin-password"
    password = password_file.read_text().strip()
    assert len(password) >= 16 and password not in text
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert f"its password is in {password_file} (readable by this account only)" in " ".join(text.split())
    assert "Loaded 24 case(s)" in text
    assert "GET /api/v1/cases/{pk} 200" in text
    assert "b-marrow-early" not in text and "ph-positive" not in text
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_on_a_terminal_the_first_password_is_shown_once_in_a_box(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  logscan: LogScan) -> None:
    from rrall.web.cli import show_first_password

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    logscan.forbid("s3cret-first-pw")
    box = show_first_password("s3cret-first-pw", tmp_path, "http://127.0.0.1:8000/", terminal)
    assert box is not None  # printed on standard output once the server has started
    shown = box.splitlines()
    assert len({len(line) for line in shown}) == 1 and shown[0] == shown[-1] and set(shown[0]) == {"+", "-"}
    assert "Password s3cret-first-pw" in box and "rrall users set-password admin" in box
    assert capsys.readouterr().err == ""  # stderr, the log stream, has nothing
    assert not (tmp_path / "admin-password").exists()
