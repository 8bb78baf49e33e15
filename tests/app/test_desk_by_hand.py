"""Match by hand: suggestions in words, why nobody qualifies, a manual proposal with the
hard-rule overrides (the service's 422 in words beside the field), a lost race, scope, CSRF."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Household, HouseholdMember, Match, MatchSource, MatchStatus
from tests.app.desk import Desk, field_error
from tests.app.factories import make_association, make_mentor, make_newcomer


def _matches(db: Session) -> list[Match]:
    rows = list(db.scalars(select(Match).order_by(Match.id)).all())
    db.expunge_all()
    db.rollback()
    return rows


def _pair(db: Session) -> tuple[int, int]:
    newcomer = make_newcomer(
        db, first_name="Hiba", birth_date=date(1995, 1, 1), languages=["ar"], interests=["chess"]
    )
    mentor = make_mentor(
        db,
        make_association(db, name="Røde Kors Testby"),
        first_name="Karen",
        languages=["da", "ar"],
        interests=["chess"],
        birth_year=1990,
    )
    return newcomer.id, mentor.id


def test_the_suggestions_are_explained_in_words_and_one_is_proposed(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer_id, mentor_id = _pair(db)
    token = desk.coordinator("101")
    detail = client.get(f"/newcomers/{newcomer_id}")
    assert f'href="/newcomers/{newcomer_id}/match"' in detail.text
    page = client.get(f"/newcomers/{newcomer_id}/match")
    assert page.status_code == 200
    assert "Karen</strong>, Røde Kors Testby" in page.text
    assert "taler arabisk, førstesproget · 0 km · deler chess · 5 år imellem" in page.text
    done = client.post(
        f"/newcomers/{newcomer_id}/match",
        data={"csrf_token": token, "programme": "mentor", "mentor_id": str(mentor_id)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Forslaget er lavet" in client.get(done.headers["location"]).text
    [match] = _matches(db)
    assert (match.mentor_id, match.status, match.source) == (
        mentor_id,
        MatchStatus.PROPOSED,
        MatchSource.MANUAL,
    )


def test_why_nobody_qualifies_is_said_from_the_counts(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer = make_newcomer(db, languages=["ti"], max_distance_km=25)
    association = make_association(db)
    make_mentor(db, association, languages=["ti"], municipality="825")  # Læsø: far away
    make_mentor(db, association, languages=["da"])
    make_mentor(db, association, languages=["da"], email="m3@example.org")
    desk.coordinator("101")
    page = client.get(f"/newcomers/{newcomer.id}/match")
    assert (
        "Ingen opfylder reglerne nu: 3 mentorer i ordningen, 1 taler tigrinya, "
        "0 inden for 25 km." in page.text
    )
    client.cookies.set("makker_lang", "en")
    english = client.get(f"/newcomers/{newcomer.id}/match")
    assert "3 mentors in the programme, 1 speaking Tigrinya, 0 within 25 km" in english.text


def test_a_broken_rule_is_named_beside_the_field_and_an_override_needs_a_reason(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer = make_newcomer(db, languages=["ti"])
    mentor = make_mentor(db, make_association(db), languages=["da"])
    token = desk.coordinator("101")
    form = {"csrf_token": token, "programme": "mentor", "mentor_id": str(mentor.id)}
    refused = client.post(f"/newcomers/{newcomer.id}/match", data=form)
    assert refused.status_code == 422
    assert field_error(refused, "overrides") == (
        "Parret bryder: et fælles sprog. Sæt flueben ved de regler, der skal tilsidesættes, "
        "og skriv en begrundelse for at foreslå det alligevel."
    )
    assert 'href="#overrides"' in refused.text  # the error summary links to the field
    no_reason = client.post(
        f"/newcomers/{newcomer.id}/match", data={**form, "overrides": "language"}
    )
    assert no_reason.status_code == 422
    assert field_error(no_reason, "override_reason") == "Skriv, hvorfor reglerne tilsidesættes."
    assert _matches(db) == []
    done = client.post(
        f"/newcomers/{newcomer.id}/match",
        data={**form, "overrides": "language", "override_reason": "Hun taler også lidt dansk"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    [match] = _matches(db)
    assert match.overrides == ["language"]


def test_an_absolute_rule_is_explained_as_not_overridable(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer = make_newcomer(db, birth_date=date(2016, 1, 1), programmes=["mentor"])
    mentor = make_mentor(db, make_association(db), child_certificate=False)
    token = desk.coordinator("101")
    page = client.get(f"/newcomers/{newcomer.id}/match")
    assert "Regler, der aldrig kan tilsidesættes: ordningen og dens aldre, børneattesten" in (
        page.text
    )
    refused = client.post(
        f"/newcomers/{newcomer.id}/match",
        data={
            "csrf_token": token,
            "programme": "mentor",
            "mentor_id": str(mentor.id),
            "overrides": ["language", "distance"],
            "override_reason": "prøver",
        },
    )
    assert refused.status_code == 422
    message = field_error(refused, "programme") or field_error(refused, "mentor_id")
    assert message is not None and "aldrig kan tilsidesættes" in message
    assert _matches(db) == []


def test_typing_mistakes_are_shown_beside_the_field_and_nothing_is_written(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer_id, _mentor_id = _pair(db)
    token = desk.coordinator("101")
    page = client.post(
        f"/newcomers/{newcomer_id}/match",
        data={"csrf_token": token, "programme": "", "mentor_id": "abc"},
    )
    assert page.status_code == 400
    assert field_error(page, "mentor_id") == "Skriv et helt tal."
    assert field_error(page, "programme") == "Vælg en af den nyankomnes ordninger."
    assert 'value="abc"' in page.text  # what was typed is kept
    missing = client.post(
        f"/newcomers/{newcomer_id}/match",
        data={"csrf_token": token, "programme": "mentor", "mentor_id": "999999"},
    )
    assert field_error(missing, "mentor_id") == "Der er ingen aktiv mentor med dette nummer."
    assert _matches(db) == []


def test_a_request_taken_meanwhile_is_said_in_words(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer_id, mentor_id = _pair(db)
    other = make_mentor(db, make_association(db, name="Anden"), first_name="Bo")
    token = desk.coordinator("101")
    client.get(f"/newcomers/{newcomer_id}/match")
    db.add(
        Match(
            newcomer_id=newcomer_id,
            mentor_id=other.id,
            programme="mentor",
            status=MatchStatus.ACCEPTED,
            source=MatchSource.MANUAL,
            score=0.5,
            components={},
        )
    )
    db.commit()
    lost = client.post(
        f"/newcomers/{newcomer_id}/match",
        data={"csrf_token": token, "programme": "mentor", "mentor_id": str(mentor_id)},
    )
    assert lost.status_code == 409
    assert "Denne anmodning har allerede en mentor." in lost.text
    assert len(_matches(db)) == 1


def test_outside_the_scope_is_404_and_a_form_without_its_token_is_refused(
    client: TestClient, desk: Desk, db: Session
) -> None:
    newcomer_id, mentor_id = _pair(db)
    form = {"programme": "mentor", "mentor_id": str(mentor_id)}
    token = desk.coordinator("147")
    assert client.get(f"/newcomers/{newcomer_id}/match").status_code == 404
    assert (
        client.post(
            f"/newcomers/{newcomer_id}/match", data={**form, "csrf_token": token}
        ).status_code
        == 404
    )
    desk.coordinator("101")
    assert client.post(f"/newcomers/{newcomer_id}/match", data=form).status_code == 403
    assert (
        client.post(
            f"/newcomers/{newcomer_id}/match", data={**form, "csrf_token": "forged"}
        ).status_code
        == 403
    )
    assert db.scalar(select(func.count()).select_from(Match)) == 0


def test_why_nobody_qualifies_for_a_household_names_the_adults_languages(
    client: TestClient, desk: Desk, db: Session
) -> None:
    contact = make_newcomer(
        db, languages=["ti"], birth_date=date(1985, 1, 1), programmes=["network_family"]
    )
    adult = make_newcomer(db, languages=["ar"], birth_date=date(1988, 1, 1), programmes=[])
    child = make_newcomer(
        db, languages=["da"], birth_date=date(date.today().year - 8, 1, 1), programmes=[]
    )
    db.add(
        Household(
            members=[
                HouseholdMember(newcomer_id=m.id, position=i)
                for i, m in enumerate((contact, adult, child))
            ]
        )
    )
    db.commit()
    association = make_association(db)
    for languages in (["da"], ["fr"]):  # the child's language does not count
        make_mentor(
            db,
            association,
            languages=languages,
            programmes=["network_family"],
            child_certificate=True,
        )
    contact_id = contact.id
    db.rollback()
    desk.coordinator("101")
    page = client.get(f"/newcomers/{contact_id}/match")
    assert (
        "Ingen opfylder reglerne nu: 2 mentorer i ordningen, "
        "0 taler tigrinya eller arabisk med en voksen i husstanden." in page.text
    )
    client.cookies.set("makker_lang", "en")
    english = client.get(f"/newcomers/{contact_id}/match")
    assert (
        "2 mentors in the programme, 0 speaking Tigrinya or Arabic with an adult of the "
        "household" in english.text
    )
