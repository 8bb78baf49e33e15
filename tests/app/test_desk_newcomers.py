"""The coordinator's newcomers pages: scope, the list and its filters, the register and edit
form (errors beside each field, what was typed kept, nothing written), erase and export."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Match, Newcomer
from tests.app.desk import Desk, field_error
from tests.app.factories import make_association, make_mentor, make_newcomer


def _names(page: httpx.Response) -> list[str]:
    return re.findall(r'<td><a href="/newcomers/\d+">([^<]+)</a>', page.text)


def _count(db: Session) -> int:
    count = db.scalar(select(func.count()).select_from(Newcomer)) or 0
    db.rollback()
    return count


def _form(token: str, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "csrf_token": token,
        "first_name": "Amal",
        "last_name": "Testesen",
        "municipality": "101",
        "birth_date": "1990-04-02",
        "gender": "female",
        "languages_0": "ar",
        "languages_1": "en",
        "languages_2": "",
        "languages_3": "",
        "interests": "Football, cooking",
        "programmes": ["mentor"],
        "mentor_gender": "",
        "max_distance_km": "",
        "lat": "",
        "lon": "",
    }
    values.update(fields)
    return values


def test_the_list_shows_only_the_coordinators_municipalities(
    client: TestClient, desk: Desk, db: Session
) -> None:
    make_newcomer(db, first_name="Inside", municipality="101")
    make_newcomer(db, first_name="Outside", municipality="147")
    desk.coordinator("101")
    page = client.get("/newcomers")
    assert page.status_code == 200
    assert _names(page) == ["Inside Eksempel"]
    assert "Arabisk (førstesprog), Engelsk" in page.text  # languages by name, first marked
    assert page.headers["cache-control"] == "no-store"


def test_a_newcomer_outside_the_scope_is_the_404_page(
    client: TestClient, desk: Desk, db: Session
) -> None:
    outside = make_newcomer(db, municipality="147")
    token = desk.coordinator("101")
    for path in ("", "/edit", "/erase", "/export"):
        page = client.get(f"/newcomers/{outside.id}{path}")
        assert page.status_code == 404, path
        assert "Siden findes ikke" in page.text
    for path in ("/edit", "/erase"):
        assert client.post(f"/newcomers/{outside.id}{path}", data=_form(token)).status_code == 404
    assert client.get("/newcomers/not-a-number").status_code == 404
    assert client.get("/newcomers/99999999999").status_code == 404
    assert _count(db) == 1


def test_search_by_name_is_posted_and_filters_combine(
    client: TestClient, desk: Desk, db: Session
) -> None:
    make_newcomer(db, first_name="Hibo", last_name="Farah", programmes=["mentor"])
    make_newcomer(db, first_name="Omar", last_name="Farah", programmes=["homework_help"])
    make_newcomer(db, first_name="Lina", last_name="Haddad", municipality="147")
    token = desk.coordinator("101", "147")
    found = client.post("/newcomers", data={"csrf_token": token, "name": "farah"})
    assert sorted(_names(found)) == ["Hibo Farah", "Omar Farah"]
    both = client.post("/newcomers", data={"csrf_token": token, "name": "Hibo FAR"})
    assert _names(both) == ["Hibo Farah"]
    by_programme = client.get("/newcomers?programme=homework_help")
    assert _names(by_programme) == ["Omar Farah"]
    by_municipality = client.get("/newcomers?municipality=147")
    assert _names(by_municipality) == ["Lina Haddad"]
    assert client.post("/newcomers", data={"name": "farah"}).status_code == 403  # no token


def test_the_state_filter_tells_waiting_proposed_and_matched_apart(
    client: TestClient, desk: Desk, db: Session
) -> None:
    waiting = make_newcomer(db, first_name="Waiting")
    proposed = make_newcomer(db, first_name="Proposed")
    matched = make_newcomer(db, first_name="Matched")
    make_newcomer(db, first_name="Inactive", active=False)
    make_newcomer(db, first_name="Child", programmes=[])  # waits for nothing of their own
    mentor = make_mentor(db, make_association(db))
    for newcomer, status in ((proposed, "proposed"), (matched, "accepted")):
        db.add(
            Match(
                newcomer_id=newcomer.id,
                mentor_id=mentor.id,
                programme="mentor",
                status=status,
                source="manual",
            )
        )
    db.commit()
    desk.coordinator("101")
    assert _names(client.get("/newcomers?state=waiting")) == [f"{waiting.first_name} Eksempel"]
    assert _names(client.get("/newcomers?state=proposed")) == ["Proposed Eksempel"]
    assert _names(client.get("/newcomers?state=matched")) == ["Matched Eksempel"]
    assert len(_names(client.get("/newcomers?state=nonsense"))) == 5  # an unknown filter: all


def test_the_list_is_paged(client: TestClient, desk: Desk, db: Session) -> None:
    for i in range(30):
        make_newcomer(db, first_name=f"Person{i:02d}")
    token = desk.coordinator("101")
    first = client.get("/newcomers")
    assert len(_names(first)) == 25
    cursor = re.search(r'name="cursor" value="([^"]+)"', first.text)
    assert cursor is not None
    second = client.post("/newcomers", data={"csrf_token": token, "cursor": cursor.group(1)})
    assert len(_names(second)) == 5
    assert 'name="cursor"' not in second.text


def test_registering_a_newcomer_writes_them_and_audits_it(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = desk.coordinator("101")
    form = client.get("/newcomers/new")
    assert form.status_code == 200
    assert '<option value="ar">Arabisk</option>' in form.text
    assert "Til og med 24 år." in form.text  # Let's Network's age rule, explained
    created = client.post("/newcomers/new", data=_form(token), follow_redirects=False)
    assert created.status_code == 303
    newcomer_id = int(created.headers["location"].split("/")[2].split("?")[0])
    row = db.get(Newcomer, newcomer_id)
    assert row is not None
    assert (row.first_name, row.languages, row.interests) == (
        "Amal",
        ["ar", "en"],
        ["football", "cooking"],
    )
    actions = db.scalars(
        select(AuditEvent.actor).where(
            AuditEvent.action == "create", AuditEvent.record_id == str(newcomer_id)
        )
    ).all()
    assert actions == [f"account:{_account_id(db)}"]
    db.rollback()
    shown = client.get(created.headers["location"])
    assert "Den nyankomne er registreret." in shown.text


def test_numbers_are_typed_as_people_type_them_and_held_to_the_apis_limits(
    client: TestClient, desk: Desk, db: Session
) -> None:
    """The API's schema is strict (a number, not its text): the form's text becomes a number
    first, a decimal comma as well as a point, and the schema's limits then apply."""
    token = desk.coordinator("101")
    created = client.post(
        "/newcomers/new",
        data=_form(token, lat="55,676", lon="12.568", max_distance_km="7,5"),
        follow_redirects=False,
    )
    assert created.status_code == 303
    newcomer_id = int(created.headers["location"].split("/")[2].split("?")[0])
    row = db.get(Newcomer, newcomer_id)
    assert row is not None
    assert (row.lat, row.lon, row.max_distance_km) == (55.676, 12.568, 7.5)
    db.rollback()
    refused = client.post(
        "/newcomers/new",
        data=_form(token, lat="91", lon="1e3", max_distance_km="nan"),
    )
    assert refused.status_code == 400
    assert field_error(refused, "lat") == "Tallet er for stort."
    assert field_error(refused, "lon") == "Skriv et tal."
    assert field_error(refused, "max_distance_km") == "Skriv et tal."
    assert _count(db) == 1


def _account_id(db: Session) -> int:
    from app.models import Account

    account_id = db.scalar(select(Account.id))
    assert account_id is not None
    return account_id


def test_invalid_input_is_shown_beside_each_field_and_nothing_is_written(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = desk.coordinator("101")
    page = client.post(
        "/newcomers/new",
        data=_form(
            token,
            first_name="",
            birth_date="2999-01-01",
            languages_0="",
            languages_1="ar",
            max_distance_km="far",
            lat="55.6",
        ),
    )
    assert page.status_code == 400
    assert field_error(page, "first_name") == "Udfyld feltet."
    assert field_error(page, "birth_date") == "Datoen må ikke ligge i fremtiden."
    assert field_error(page, "languages_0") == "Vælg førstesproget."
    assert field_error(page, "max_distance_km") == "Skriv et tal."
    summary = page.text.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#first_name"' in summary
    assert 'href="#languages_0"' in summary
    assert 'value="Testesen"' in page.text  # what was typed is kept
    assert 'value="far"' in page.text
    hidden = client.post(
        "/newcomers/new", data=_form(token, last_name="Teste\u202esen", birth_date="2.4.1990")
    )
    assert field_error(hidden, "last_name") == "Fjern de usynlige tegn eller kontroltegn."
    assert field_error(hidden, "birth_date") == "Skriv en gyldig dato."
    assert _count(db) == 0


def test_the_services_rules_are_shown_beside_the_field(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = desk.coordinator("101")
    no_age = client.post(
        "/newcomers/new", data=_form(token, birth_date="", programmes=["lets_network"])
    )
    assert no_age.status_code == 400
    assert field_error(no_age, "programmes") == (
        "Ordningen har en aldersgrænse: skriv fødselsdatoen."
    )
    half = client.post("/newcomers/new", data=_form(token, lat="55.6"))
    assert field_error(half, "lat") == "Udfyld både breddegrad og længdegrad, eller ingen af dem."
    elsewhere = client.post("/newcomers/new", data=_form(token, municipality="147"))
    assert field_error(elsewhere, "municipality") == (
        "Du kan kun registrere nyankomne i dine egne kommuner."
    )
    nothing = client.post("/newcomers/new", data=_form(token, programmes=[], languages_0=""))
    assert nothing.status_code == 400  # the first language is missing...
    assert field_error(nothing, "programmes") is None  # ...but a household member may ask for none
    assert _count(db) == 0


def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient, desk: Desk, db: Session
) -> None:
    desk.coordinator("101")
    refused = client.post("/newcomers/new", data=_form("not-the-token"))
    assert refused.status_code == 403
    assert "Ikke tilladt" in refused.text
    assert _count(db) == 0


def test_editing_saves_the_changes_and_refuses_a_stale_form(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer_id = make_newcomer(db).id
    token = desk.coordinator("101")
    form = client.get(f"/newcomers/{newcomer_id}/edit")
    assert form.status_code == 200
    assert 'value="Testnykommer"' in form.text
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version is not None
    data = _form(token, first_name="Renamed", version=version.group(1), active="yes")
    saved = client.post(f"/newcomers/{newcomer_id}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303
    assert _stored(db, newcomer_id).first_name == "Renamed"
    stale = client.post(
        f"/newcomers/{newcomer_id}/edit",
        data=_form(token, first_name="Lost", version=version.group(1)),
    )
    assert stale.status_code == 409
    assert "En anden har ændret den nyankomne" in stale.text
    assert 'value="Renamed"' in stale.text  # the form shows the record as it is now
    assert _stored(db, newcomer_id).first_name == "Renamed"
    invalid = client.post(f"/newcomers/{newcomer_id}/edit", data=_form(token, last_name=""))
    assert invalid.status_code == 400
    assert field_error(invalid, "last_name") == "Udfyld feltet."
    assert _stored(db, newcomer_id).last_name == "Testesen"


def _stored(db: Session, newcomer_id: int) -> Newcomer:
    row = db.get(Newcomer, newcomer_id, populate_existing=True)
    assert row is not None
    db.expunge(row)
    db.rollback()
    return row


def test_erasing_asks_first_then_erases_for_good(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer_id = make_newcomer(db).id
    token = desk.coordinator("101")
    confirm = client.get(f"/newcomers/{newcomer_id}/erase")
    assert confirm.status_code == 200
    assert "Det kan ikke fortrydes." in confirm.text
    assert _count(db) == 1
    erased = client.post(
        f"/newcomers/{newcomer_id}/erase", data={"csrf_token": token}, follow_redirects=False
    )
    assert erased.status_code == 303
    assert erased.headers["location"] == "/newcomers?done=erased"
    assert _count(db) == 0
    assert client.get(f"/newcomers/{newcomer_id}").status_code == 404


def test_the_export_downloads_everything_held(client: TestClient, desk: Desk, db: Session) -> None:
    row = make_newcomer(db)
    desk.coordinator("101")
    download = client.get(f"/newcomers/{row.id}/export")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        f'attachment; filename="newcomer-{row.id}.json"'
    )
    document = download.json()
    assert document["newcomer"]["first_name"] == "Testnykommer"
    assert (document["groups"], document["household"]) == ([], None)  # the API's whole export


def test_the_form_in_english_names_languages_in_english(client: TestClient, desk: Desk) -> None:
    token = desk.coordinator("101")
    client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/newcomers/new"})
    form = client.get("/newcomers/new")
    assert '<option value="ar">Arabic</option>' in form.text
    assert "Register a newcomer" in form.text
    assert "Up to the age of 24." in form.text


def test_an_admin_sees_every_municipality(client: TestClient, desk: Desk, db: Session) -> None:
    make_newcomer(db, first_name="Copenhagen", municipality="101")
    make_newcomer(db, first_name="Aarhus", municipality="751")
    admin = desk.account("admin")
    desk.sign_in(admin.email)
    assert sorted(_names(client.get("/newcomers"))) == ["Aarhus Eksempel", "Copenhagen Eksempel"]
