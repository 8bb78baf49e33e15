"""The overview: coverage and waiting times with a chart, the shortages with municipality and
language names in the page's language, and the map of Denmark — server-drawn SVG, each with a
title, a description and a table beside it; scoped and suppressed as the API's reports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.reports.schemas import GroupShortage, ShortageRow
from app.web import i18n
from app.web.overview import group_sentence
from tests.app.conftest import Keys
from tests.app.desk import Desk
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.runs import run_through_api
from tests.app.test_reports import mindspring_short


def _people(db: Session) -> None:
    association = make_association(db)
    make_mentor(db, association, languages=["da", "ar"])
    make_newcomer(db, languages=["ar"])
    for _ in range(6):
        make_newcomer(db, languages=["ti"])
    make_newcomer(db, languages=["ti"], municipality="147")


def test_the_overview_shows_the_chart_the_shortages_and_the_map(
    client: TestClient, desk: Desk, keys: Keys, db: Session
) -> None:
    _people(db)
    run_through_api(client, keys.admin())
    desk.coordinator("101")
    page = client.get("/overview")
    assert page.status_code == 200
    text = page.text
    assert '<title id="chart-title">Dækning efter kommune og ordning</title>' in text
    assert '<title id="map-title">Mangler pr. kommune</title>' in text
    assert '<desc id="map-desc">Et kort over Danmark' in text
    assert "Anmodninger efter kommune og ordning" in text  # the table beside the chart
    assert "<td>København</td>" in text and "<td>Tigrinya</td>" in text
    assert "København: 6</title>" in text  # the map's circle, from the centre point
    assert "Frederiksberg" not in text.split("<h2>")[1]  # the rows are in scope only
    assert "style=" not in text  # the CSP forbids inline style


def test_the_overview_is_in_english_and_small_counts_are_suppressed(
    client: TestClient, desk: Desk, keys: Keys, db: Session
) -> None:
    _people(db)
    run_through_api(client, keys.admin())
    desk.coordinator("147")
    client.cookies.set("makker_lang", "en")
    page = client.get("/overview")
    assert "Coverage by municipality and programme" in page.text
    assert "<td>Frederiksberg</td>" in page.text and "<td>Tigrinya</td>" in page.text
    assert "<td>&lt;5</td>" in page.text
    assert "<td>København</td>" not in page.text


def test_the_overview_without_a_run_says_so(client: TestClient, desk: Desk, db: Session) -> None:
    desk.coordinator("101")
    page = client.get("/overview")
    assert page.status_code == 200
    assert "Ingen kørsel er færdig endnu" in page.text


def test_the_overview_says_a_group_programmes_shortages_in_words(
    client: TestClient, desk: Desk, keys: Keys, db: Session
) -> None:
    mindspring_short(db)
    run_through_api(client, keys.admin())
    desk.coordinator("751")
    page = client.get("/overview").text
    assert (
        "<li>MindSpring: Tigrinya nær Aarhus: 6 venter, en gruppe kræver 6, "
        "ingen træner inden for rækkevidde</li>"
    ) in page

    desk.coordinator("101")
    client.cookies.set("makker_lang", "en")
    page = client.get("/overview").text
    assert (
        "<li>MindSpring: Tigrinya near København: &lt;5 waiting, a group needs 6, "
        "one trainer within reach</li>"
    ) in page
    assert "Aarhus" not in page.split("<h2>")[2]  # the rows are in scope only


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "Tigrinya near Aarhus: 6 waiting, at most 4 for any one trainer, a group needs 6, "
            "2 trainers within reach",
        ),
        (
            "da",
            "Tigrinya nær Aarhus: 6 venter, højst 4 hos én træner, en gruppe kræver 6, "
            "2 trænere inden for rækkevidde",
        ),
    ],
)
def test_waiting_spread_over_trainers_says_no_one_trainer_has_enough(
    lang: str, expected: str
) -> None:
    """Six wait, but no trainer could have had more than four of them: the sentence must not
    read as if a group of six could run."""
    row = ShortageRow(
        municipality="751",
        language="ti",
        programme="mindspring",
        reason="group_size",
        count=6,
        group=GroupShortage(group_min=6, waiting=4, trainers_in_reach=2),
    )
    assert group_sentence(row, lang, i18n.translations(lang).gettext) == expected
