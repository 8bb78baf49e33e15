"""A newcomer may ask for nothing of their own (``programmes: []``): a household member, such
as a child of a network family, matched only through the household. They wait for nothing:
a run leaves no request of theirs, yet their age counts for the household's request."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.jobs.rematch import rematch
from app.models import Match, Newcomer, RunUnmatched
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.desk import Desk
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.spreadsheets import NEWCOMER_HEADER, csv_bytes

URL = "/api/v1/newcomers"


def _child(client: TestClient, headers: dict[str, str]) -> int:
    body = bodies.newcomer(programmes=[], birth_date=f"{date.today().year - 7}-01-01")
    created = client.post(URL, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["programmes"] == []
    return int(created.json()["id"])


def _rows(db: Session, model: Any, *where: Any) -> list[Any]:
    rows = list(db.scalars(select(model).where(*where).order_by(model.id)))
    db.expunge_all()
    db.rollback()
    return rows


def test_a_child_with_no_requests_is_matched_only_through_the_household(
    client: TestClient, app: FastAPI, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    child = _child(client, coordinator)
    contact = make_newcomer(db, programmes=["network_family"], birth_date=date(1985, 2, 1)).id
    household = client.post(
        "/api/v1/households", json={"members": [contact, child]}, headers=coordinator
    )
    assert household.status_code == 201, household.text
    association = make_association(db)
    make_mentor(db, association, programmes=["network_family", "mentor"], child_certificate=False)
    engine: Engine = app.state.engine

    rematch(engine)  # the child makes the uncertified family illegal
    assert _rows(db, Match) == []
    unmatched = _rows(db, RunUnmatched)
    assert [(u.newcomer_id, u.programme, u.reason) for u in unmatched] == [
        (contact, "network_family", "child_safety")
    ]

    certified = make_mentor(
        db, association, programmes=["network_family"], child_certificate=True
    ).id
    db.rollback()
    rematch(engine)
    [match] = _rows(db, Match)
    assert (match.newcomer_id, match.mentor_id, match.household_id) == (
        contact,
        certified,
        household.json()["id"],
    )
    # The child waits for nothing of their own: no request, no suggestions.
    assert not [u for u in _rows(db, RunUnmatched) if u.newcomer_id == child]
    found = client.get(f"{URL}/{child}/suggestions", headers=coordinator)
    assert found.status_code == 200, found.text
    assert found.json()["items"] == []


def test_a_newcomer_alone_with_no_requests_leaves_the_run_nothing(
    client: TestClient, app: FastAPI, db: Session, keys: Keys
) -> None:
    child = _child(client, keys.coordinator("101"))
    make_mentor(db, make_association(db), programmes=["mentor"])
    rematch(app.state.engine)
    assert _rows(db, Match) == [] and _rows(db, RunUnmatched) == []
    patched = client.patch(
        f"{URL}/{child}",
        json={"programmes": ["homework_help"]},
        headers={**keys.coordinator("101"), "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    emptied = client.patch(
        f"{URL}/{child}",
        json={"programmes": []},
        headers={**keys.coordinator("101"), "If-Match": patched.headers["ETag"]},
    )
    assert emptied.status_code == 200 and emptied.json()["programmes"] == []
    refused = client.patch(
        f"{URL}/{child}",
        json={"programmes": None},
        headers={**keys.coordinator("101"), "If-Match": emptied.headers["ETag"]},
    )
    assert refused.status_code == 422  # null still clears nothing: the field is required


def test_the_desk_form_registers_a_newcomer_with_no_requests(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = desk.coordinator("101")
    form = {
        "csrf_token": token,
        "first_name": "Lille",
        "last_name": "Testbarn",
        "municipality": "101",
        "birth_date": "2019-04-01",
        "gender": "",
        "languages_0": "ar",
        "interests": "",
        "mentor_gender": "",
        "max_distance_km": "",
        "lat": "",
        "lon": "",
    }
    created = client.post("/newcomers/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    [row] = _rows(db, Newcomer)
    assert row.programmes == []
    page = client.get(f"/newcomers/{row.id}")
    assert "Ingen egne: matches kun gennem en husstand" in page.text


def test_a_spreadsheet_row_with_an_empty_programmes_cell_asks_for_nothing(
    client: TestClient, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    rows = [
        ["Lille", "Testbarn", "01-04-2019", "mand", "arabisk", "101", ""],
        ["Stor", "Testvoksen", "01-04-1980", "kvinde", "arabisk", "101", "mentor"],
    ]
    upload = client.post(
        f"{URL}/imports",
        headers={**coordinator, "Content-Type": "text/csv"},
        content=csv_bytes(NEWCOMER_HEADER, rows),
    )
    assert upload.status_code == 200, upload.text
    preview = upload.json()
    assert preview["errors"] == [] and preview["valid_rows"] == 2
    committed = client.post(f"{URL}/imports/{preview['id']}/commit", headers=coordinator)
    assert committed.status_code == 200, committed.text
    assert [r.programmes for r in _rows(db, Newcomer)] == [[], ["mentor"]]
