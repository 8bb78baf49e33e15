"""The overview: coverage and waiting times by municipality and programme with a chart, the
shortages (whom to recruit) and a map of Denmark with the shortages per municipality.

The figures are the reports service's (:mod:`app.reports.service`) with the signed-in
person's principal: the same scope and the same small-count suppression as the API's reports.
A group programme's shortages are also said in a sentence each (:func:`group_sentence`).
The chart and the map are server-drawn SVG (:mod:`app.web.charts`), each beside its table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from app.accounts.service import SignedIn
from app.db import SessionDep
from app.reports import service as reports
from app.reports.schemas import Count, ShortageRow
from app.web import charts, choices, i18n
from app.web.explain import rule_name
from app.web.pages import DESK_DEPENDENCIES, DeskRole, DeskRoute, render, translator

router = APIRouter(
    prefix="/overview",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]


def shown(count: Count) -> str:
    """A report's count as the page shows it (a withheld one as a dash)."""
    return "\u2013" if count is None else str(count)


def _size(known: int, hidden: int) -> float:
    # A count shown as "<5" is drawn as 2 (a small circle).
    return float(known + 2 * hidden)


def _in_words(known: int, hidden: int, threshold: int) -> str:
    """A municipality's shortages on the map: exact, "<5", or "6+" when a part is hidden."""
    if not hidden:
        return str(known)
    return f"{known}+" if known else f"<{threshold}"


def group_sentence(item: ShortageRow, lang: str, gettext: Callable[[str], str]) -> str:
    """A group programme's shortage in words: "Tigrinya near Aarhus: 4 waiting, a group
    needs 6, no trainer within reach"."""
    _ = gettext
    group = item.group
    if group is None:
        raise ValueError("not a group programme's shortage")
    reach = group.trainers_in_reach
    if reach == 0:
        trainers = _("no trainer within reach")
    elif reach == 1:
        trainers = _("one trainer within reach")
    else:
        trainers = _("%(n)s trainers within reach") % {"n": reach}
    words = {
        "language": i18n.language_name(item.language, lang),
        "municipality": i18n.municipality_name(item.municipality),
        "waiting": shown(item.count),
        "largest": shown(group.waiting),
        "group_min": group.group_min,
        "trainers": trainers,
    }
    spread = isinstance(group.waiting, int) and isinstance(item.count, int)
    if spread and group.waiting != item.count:
        # The waiting are spread over trainers: no one trainer could have had them all.
        return (
            _(
                "%(language)s near %(municipality)s: %(waiting)s waiting, at most %(largest)s for "
                "any one trainer, a group needs %(group_min)s, %(trainers)s"
            )
            % words
        )
    return (
        _(
            "%(language)s near %(municipality)s: %(waiting)s waiting, a group needs %(group_min)s, "
            "%(trainers)s"
        )
        % words
    )


@router.get("")
def overview(request: Request, session: SessionDep, signed: Staff) -> Response:
    """Coverage, waiting times and shortages in the caller's municipalities."""
    _ = translator(request)
    lang = i18n.language_of(request)
    threshold = int(request.app.state.settings.report_min_count)
    summary = reports.summary(session, signed.principal, threshold=threshold)
    shortages = reports.shortages(session, signed.principal, threshold=threshold)
    names = {p.code: p.name for p in choices.all_programmes(session)}
    bars = [
        charts.Bar(
            f"{i18n.municipality_name(row.municipality or '')} · "
            f"{names.get(row.programme or '', row.programme)}",
            row.coverage_pct,
            "\u2013" if row.coverage_pct is None else f"{row.coverage_pct:g} %",
        )
        for row in summary.rows
    ]
    chart = charts.bar_chart(
        _("Coverage by municipality and programme"),
        _(
            "The share of requests with a mentor, in per cent, one bar per municipality and "
            "programme. The same figures are in the table below."
        ),
        bars,
    )
    known: dict[str, int] = defaultdict(int)
    hidden: dict[str, int] = defaultdict(int)
    for item in shortages.items:
        if isinstance(item.count, int):
            known[item.municipality] += item.count
        elif item.count is not None:
            hidden[item.municipality] += 1
    drawn = {
        code: (_size(known[code], hidden[code]), _in_words(known[code], hidden[code], threshold))
        for code in sorted(set(known) | set(hidden))
        if known[code] or hidden[code]
    }
    denmark = charts.denmark_map(
        _("Shortages per municipality"),
        _(
            "A map of Denmark with a circle at the centre of each municipality with requests "
            "left without a mentor, larger for more. The same figures are in the table above."
        ),
        drawn,
    )
    return render(
        request,
        "overview.html",
        {
            "summary": summary,
            "shortages": shortages,
            "programme_names": names,
            "reasons": {item.reason: rule_name(item.reason, _) for item in shortages.items},
            "group_sentences": [
                (names.get(item.programme, item.programme), group_sentence(item, lang, _))
                for item in shortages.items
                if item.group is not None
            ],
            "chart": Markup(chart),  # drawn by charts.py, every text escaped
            "map": Markup(denmark),
            "shown": shown,
            "lang": lang,
        },
    )
