"""The web app's path, name, host and origin rules on their own: hand cases and
properties over arbitrary strings (hypothesis)."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fentanet.web import security as sec
from fentanet.web.server import settings as serve_settings
from fentanet.web.server import url


@pytest.mark.parametrize(("name", "want"), [
    ("case.csv", "case.csv"), ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\net.dl", "net.dl"),
    (".bashrc", "bashrc"), ("a b  c.csv", "a-b-c.csv"), ("ünïcödé.graphml", "unicode.graphml"),
    ("", "upload"), ("...", "upload"), ("<script>.csv", "script-.csv"), ("a\x00b.csv", "a-b.csv"),
    # the extension kept when the stem is all punctuation (review s18, L3: '-.csv' -> 'csv')
    ("-.csv", "upload.csv"), ("_.csv", "upload.csv"), (".-.graphml", "upload.graphml"),
    ("a..csv", "a.csv"), ("x.csv.part", "x.csv.part"), ("a.tar.gz", "a.tar.gz"),
    (".csv", "csv"), ("x.", "x"),
])
def test_safe_name_cases(name, want):
    assert sec.safe_name(name) == want


def test_safe_name_keeps_the_extension_when_shortened():
    got = sec.safe_name("x" * 300 + ".graphml")
    assert len(got) == 100 and got.endswith(".graphml")


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_safe_name_is_always_a_plain_name(name):
    got = sec.safe_name(name)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", got)
    assert 1 <= len(got) <= 100 and got not in (".", "..") and "/" not in got


def test_safe_path_cases(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "f.txt").write_text("x")
    (tmp_path / "secret").write_text("s")
    assert sec.safe_path(root, "sub/f.txt") == (root / "sub" / "f.txt").resolve()
    assert sec.safe_path(root, "./sub//f.txt") == (root / "sub" / "f.txt").resolve()
    assert sec.safe_path(root, "sub\\f.txt") == (root / "sub" / "f.txt").resolve()
    for bad, words in (("../secret", "'..'"), ("sub/../../secret", "'..'"),
                       ("/etc/passwd", "absolute"), ("\\\\server\\share", "absolute"),
                       ("C:/x", "absolute"), ("~/x", "absolute"), ("sub/\x00", "control"),
                       ("nope.txt", "no file"), ("  ", "no path")):
        with pytest.raises(sec.PathError, match=re.escape(words)):
            sec.safe_path(root, bad)
    os.symlink(tmp_path / "secret", root / "sub" / "link")
    with pytest.raises(sec.PathError, match="outside the working folder"):
        sec.safe_path(root, "sub/link")
    # what the messages call the folder (the app's static files: review s18, L9)
    with pytest.raises(sec.PathError, match=re.escape(
            "field 'path': no file 'x.css' in the app's static files")):
        sec.safe_path(root, "x.css", where="the app's static files")
    with pytest.raises(sec.PathError, match="leads outside the app's static files"):
        sec.safe_path(root, "sub/link", where="the app's static files")
    os.symlink(root / "sub" / "loop", root / "sub" / "loop")
    with pytest.raises(sec.PathError):
        sec.safe_path(root, "sub/loop")
    assert sec.safe_path(root, "sub/new.txt", must_exist=False).parent == (root / "sub")


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("ab./\\~:%0 \x00C")), max_size=30))
def test_safe_path_never_leaves_the_root(tmp_path_factory, relative):
    root = tmp_path_factory.getbasetemp() / "prop-root"
    (root / "a").mkdir(parents=True, exist_ok=True)
    try:
        got = sec.safe_path(root, relative, must_exist=False)
    except sec.PathError:
        return
    assert got == root.resolve() or got.is_relative_to(root.resolve())


@pytest.mark.parametrize(("host", "allowed", "ok"), [
    ("localhost:8000", ["localhost"], True), ("127.0.0.1", ["127.0.0.1"], True),
    ("[::1]:8000", ["::1"], True), ("evil.example:8000", ["localhost"], False),
    ("LOCALHOST", ["localhost"], True), (None, ["localhost"], False),
    ("anything", None, True),
])
def test_host_allowed(host, allowed, ok):
    assert sec.host_allowed(host, allowed) is ok


@pytest.mark.parametrize(("origin", "host", "ok"), [
    (None, "localhost:8000", True), ("http://localhost:8000", "localhost:8000", True),
    ("http://evil.example", "localhost:8000", False), ("null", "localhost:8000", False),
    ("http://localhost:9999", "localhost:8000", False),
])
def test_same_origin(origin, host, ok):
    assert sec.same_origin(origin, host) is ok


def test_tokens_and_serve_settings():
    a, b = sec.new_token(), sec.new_token()
    assert a != b and len(a) == 32
    assert sec.token_matches(a, a) and not sec.token_matches(b, a)
    assert not sec.token_matches(None, a) and not sec.token_matches("", a)
    assert sec.strip_token("/x", "token=abc&y=2") == "/x?y=2"
    assert sec.strip_token("/", "token=abc") == "/"
    # the loopback needs no token but answers only to its names; elsewhere a token
    token, hosts = serve_settings("127.0.0.1", None)
    assert token is None and "localhost" in hosts
    token, hosts = serve_settings("0.0.0.0", None)
    assert token and hosts is None
    assert serve_settings("0.0.0.0", "given")[0] == "given"
    assert url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert url("::1", 8000, "t") == "http://[::1]:8000/?token=t"


def test_an_empty_token_counts_as_none():
    # on the loopback: no token (not one nobody can give); elsewhere: a new one
    token, hosts = serve_settings("127.0.0.1", "")
    assert token is None and "localhost" in hosts
    token, hosts = serve_settings("0.0.0.0", "")
    assert token and len(token) == 32 and hosts is None


def test_an_empty_token_does_not_lock_out_the_loopback(tmp_path):
    from fastapi.testclient import TestClient

    from fentanet.web.server import _app

    app, token = _app(tmp_path / "work", "127.0.0.1", "", None)
    assert token is None
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/info").status_code == 200
    app.api.state.jobs.shutdown()
