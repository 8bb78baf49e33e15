"""Errors are answers, not crashes: hostile bodies, forged cursors, a database that is down or
busy each get problem details (400, 422, 503), never a 500 or a reset connection."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.cli import main
from app.config import Settings, get_settings
from app.db import make_engine
from app.main import create_app
from tests.app import bodies
from tests.app.factories import make_association

ROOT = Path(__file__).resolve().parents[2]


def _deep_with_nul(depth: int) -> bytes:
    return b"[" * depth + b'"\\u0000"' + b"]" * depth


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/associations", "/api/v1/programmes"])
def test_deeply_nested_json_with_a_nul_is_a_400_on_any_path(client: TestClient, path: str) -> None:
    body = _deep_with_nul(5_000)
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "nested" in response.json()["detail"]


def test_deeply_nested_json_without_a_nul_is_a_400_too(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = b"[" * 5_000 + b"]" * 5_000
    response = client.post(
        "/api/v1/associations", content=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["title"] == "Bad request"


def test_moderately_nested_json_with_a_nul_still_names_its_place(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {"name": "Klub", "kind": "other", "municipalities": [["x"] * 3, [[["\x00"]]]]}
    response = client.post("/api/v1/associations", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "municipalities.1.0.0.0"


def test_the_literal_text_backslash_u0000_is_not_a_nul(
    client: TestClient, admin: dict[str, str]
) -> None:
    # The JSON string "Klub \\u0000" holds a backslash, a "u" and four digits: no NUL.
    content = json.dumps(bodies.association(name="Klub \\u0000 test"))
    assert "\\\\u0000" in content
    response = client.post(
        "/api/v1/associations",
        content=content,
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Klub \\u0000 test"


def test_a_real_nul_escaped_in_json_is_still_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    content = json.dumps(bodies.association(name="Klub \x00"))
    assert "\\u0000" in content
    response = client.post(
        "/api/v1/associations",
        content=content,
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


def test_invalid_json_with_an_escaped_nul_is_the_ordinary_invalid_json_answer(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/associations",
        content=b'{"name": "\\u0000',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("after", ["\x00", "a\x00b", 5.5, True, None, [], {}])
def test_a_cursor_decoding_to_a_nul_or_a_wrong_type_is_a_422_naming_cursor(
    client: TestClient, admin: dict[str, str], after: object
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()
    for path in ("/api/v1/programmes", "/api/v1/associations"):
        response = client.get(path, params={"cursor": cursor}, headers=admin)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] == "cursor"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: nothing listens there


def _unreachable_urls(tmp_path: Path) -> list[str]:
    return [
        f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/makker?connect_timeout=2",
        f"sqlite:///{tmp_path / 'missing-directory' / 'makker.db'}",
    ]


@pytest.mark.parametrize("which", ["postgresql", "sqlite"])
def test_a_database_that_is_down_answers_503_with_retry_after(tmp_path: Path, which: str) -> None:
    url = next(u for u in _unreachable_urls(tmp_path) if u.startswith(which))
    app = create_app(Settings(database_url=url, log_level="WARNING", embedded_worker=False))
    headers = {"Authorization": "Bearer mk_000000000000_" + "A" * 43}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/healthz").status_code == 200
            for method, path in [
                ("GET", "/api/v1/programmes"),
                ("POST", "/api/v1/associations"),
                ("GET", "/api/v1/newcomers/1"),
            ]:
                response = client.request(method, path, headers=headers, json={})
                assert response.status_code == 503, (method, path, response.text)
                assert response.headers["content-type"].startswith("application/problem+json")
                assert int(response.headers["retry-after"]) > 0
                assert response.json()["title"] == "Service unavailable"
            assert client.get("/readyz").status_code == 503
    finally:
        app.state.engine.dispose()


def test_a_makker_command_prints_one_line_when_the_database_is_down(tmp_path: Path) -> None:
    """The console script itself, in its own process: no traceback reaches the terminal."""
    url = next(u for u in _unreachable_urls(tmp_path) if u.startswith("postgresql"))
    result = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "migrate"],
        cwd=ROOT,
        env={"MAKKER_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("makker: the database is not available: connection failed")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("which", "command"),
    [
        ("sqlite", ["migrate"]),
        ("postgresql", ["create-key", "--role", "admin", "--name", "ops"]),
        ("sqlite", ["create-key", "--role", "admin", "--name", "ops"]),
        ("postgresql", ["purge", "--ended-before", "2020-01-01", "--dry-run"]),
        ("sqlite", ["purge", "--ended-before", "2020-01-01"]),
        ("postgresql", ["rematch", "--dry-run"]),
        ("sqlite", ["rematch"]),
        ("sqlite", ["seed-demo", "--newcomers", "1", "--mentors", "1"]),
        ("postgresql", ["demo-up"]),
    ],
)
def test_every_database_command_prints_one_line_when_the_database_is_down(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    which: str,
    command: list[str],
) -> None:
    url = next(u for u in _unreachable_urls(tmp_path) if u.startswith(which))
    monkeypatch.setenv("MAKKER_DATABASE_URL", url)
    monkeypatch.setattr(sys, "argv", ["makker", *command])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 1
    captured = capsys.readouterr()
    # Progress lines (demo-up's "migrating") may come first; the error is one line, the last.
    *progress, error = captured.err.strip().splitlines()
    assert error.startswith("makker: the database is not available: "), captured.err
    assert all("database" not in line for line in progress), captured.err
    assert captured.out == ""


def test_a_read_does_not_wait_for_a_writer(
    app: FastAPI, database_url: str, db: Session, admin: dict[str, str], client: TestClient
) -> None:
    """A run's write holds SQLite's one write lock (or PostgreSQL's row locks) for as long as
    it takes; reads meanwhile answer at once, from the last committed state. (Before, SQLite
    reads began with BEGIN IMMEDIATE too: they waited 30 s and failed.)"""
    association = make_association(db)
    # The write lock taken by the app's own engine setup (SQLite: BEGIN IMMEDIATE).
    writer = make_engine(database_url)
    with writer.connect() as connection:
        connection.execute(
            text("UPDATE associations SET name = 'held' WHERE id = :id"), {"id": association.id}
        )
        for path in (
            "/api/v1/programmes",
            f"/api/v1/associations/{association.id}",
            "/api/v1/associations",
            "/api/v1/matches",
            "/readyz",
        ):
            response = client.get(path, headers=admin)
            assert response.status_code == 200, (path, response.text)
        held = client.get(f"/api/v1/associations/{association.id}", headers=admin)
        assert held.json()["name"] != "held"
        connection.rollback()
    writer.dispose()
