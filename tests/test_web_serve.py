"""``fentanet serve`` as a user starts it: a real uvicorn process on a free port, the
loopback without a token, any other address with the token it prints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fentanet.web.server import ServerThread, free_port

SRC = str(Path(__file__).resolve().parents[1] / "src")


def start(args: list[str], tmp_path: Path) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "fentanet", "serve", *args, "--workdir",
                             str(tmp_path / "work")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    return proc, lines


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_up(url: str, proc: subprocess.Popen, lines: list[str], timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError("serve exited: " + "".join(lines))
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("serve did not start: " + "".join(lines))


@pytest.mark.slow
def test_serve_on_the_loopback_and_beyond(tmp_path):
    port = free_port()
    proc, lines = start(["--port", str(port)], tmp_path)
    try:
        wait_up(f"http://127.0.0.1:{port}/api/info", proc, lines)
        status, body = get(f"http://127.0.0.1:{port}/api/info")
        assert status == 200 and json.loads(body)["token_required"] is False
        out = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in out and "only this machine" in out
        assert (tmp_path / "work" / "uploads").is_dir()
        # a page reaching the app through another host name is refused (DNS rebinding)
        status, _ = get(f"http://127.0.0.1:{port}/api/info", {"Host": f"evil.example:{port}"})
        assert status == 421
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    port = free_port("0.0.0.0")
    proc, lines = start(["--host", "0.0.0.0", "--port", str(port)], tmp_path)
    try:
        wait_up(f"http://127.0.0.1:{port}/", proc, lines)
        token = re.search(r"access token: (\S+)", "".join(lines)).group(1)
        assert f"?token={token}" in "".join(lines)
        assert get(f"http://127.0.0.1:{port}/api/info")[0] == 401
        assert get(f"http://127.0.0.1:{port}/api/info", {"X-Fentanet-Token": "x"})[0] == 403
        status, body = get(f"http://127.0.0.1:{port}/api/info", {"X-Fentanet-Token": token})
        assert status == 200 and json.loads(body)["token_required"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_server_thread_serves_and_stops(tmp_path):
    with ServerThread(tmp_path / "w") as server:
        status, body = get(server.url + "api/info")
        assert status == 200 and json.loads(body)["workdir"] == "w"
    assert not server.thread.is_alive()
