"""Runs: the latest runs and their figures, start a dry run, a run's unmatched requests.

A dry run is queued through :func:`app.runs.service.start` with the signed-in person's
principal (a coordinator may start dry runs only, as through the API) and executed by the
worker; the run's page shows it queued or running, and reloading it shows its progress (no
JavaScript). The unmatched requests come from :func:`app.runs.service.get_run`, scoped to the
caller's municipalities as the API's are, with the reasons in words; so are the trainers'
groups of group programmes (MindSpring, food clubs), with the participants the caller may see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import Response

from app.accounts.service import SignedIn
from app.db import SessionDep
from app.errors import Conflict
from app.matches import repository as matches
from app.resources import IdPath
from app.runs import repository, service
from app.web import choices, i18n
from app.web.explain import rule_name, why_nobody
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    see_other,
    translator,
)

router = APIRouter(
    prefix="/runs",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]
LATEST = 15


def status_names(_: Callable[[str], str]) -> dict[str, str]:
    """A run's status and phase in words."""
    return {
        "queued": _("Queued"),
        "running": _("Running"),
        "succeeded": _("Finished"),
        "failed": _("Failed"),
        "read": _("reading the requests"),
        "solve": _("finding the best pairs"),
        "write": _("writing the proposals"),
    }


@router.get("")
def list_runs(request: Request, session: SessionDep, signed: Staff) -> Response:
    """The latest runs, newest first, with their figures."""
    return render(
        request,
        "runs/list.html",
        {
            "runs": service.latest_runs(session, LATEST),
            "names": status_names(translator(request)),
            "message": None,
            "in_flight": None,
        },
    )


@router.post("")
def start_dry_run(
    request: Request,
    session: SessionDep,
    signed: Staff,
    form: PostedForm,
    background: BackgroundTasks,
) -> Response:
    """Queue a dry run (it writes no proposals); its page shows it queued, then its progress."""
    _ = translator(request)
    try:
        run = service.start(session, signed.principal, dry_run=True)
    except Conflict:
        session.rollback()
        mine = repository.in_flight(session, account=signed.principal.account_id)
        if mine is not None:
            message = _(
                "You already have a run in progress (run %(run)s). Wait for it to finish, "
                "then start another."
            ) % {"run": mine}
        else:
            message = _("A run is already in progress. Wait for it to finish, then start another.")
        context = {
            "runs": service.latest_runs(session, LATEST),
            "names": status_names(_),
            "message": message,
            "in_flight": mine,
        }
        return render(request, "runs/list.html", context, status=409)
    worker = getattr(request.app.state, "run_worker", None)
    if worker is not None:
        background.add_task(worker.wake)  # after the response: the queued row is committed
    return see_other(f"/runs/{run.id}")


@router.get("/{run_id}")
def show_run(request: Request, session: SessionDep, signed: Staff, run_id: IdPath) -> Response:
    """One run's figures and its unmatched requests in the caller's municipalities."""
    _ = translator(request)
    lang = i18n.language_of(request)
    run = service.get_run(session, signed.principal, run_id)
    # Already in the caller's scope (the service's query); only their wishes are read here.
    people = matches.newcomers_by_id(session, {u.newcomer_id for u in run.unmatched})
    unmatched = []
    for item in run.unmatched:
        newcomer = people.get(item.newcomer_id)
        languages = list(newcomer.languages) if newcomer is not None else [item.language]
        limit = newcomer.max_distance_km if newcomer is not None else None
        unmatched.append(
            {
                "row": item,
                "reason": rule_name(item.reason, _),
                "why": why_nobody(item.passed, languages, limit, lang=lang, gettext=_)
                if item.group is None
                else _("%(waiting)s could join a trainer's group; a group needs %(min)s.")
                % {"waiting": item.group["waiting"], "min": item.group["group_min"]},
            }
        )
    trainers = matches.mentors_by_id(session, {g.mentor_id for g in run.groups})
    return render(
        request,
        "runs/detail.html",
        {
            "run": run,
            "unmatched": unmatched,
            "trainers": trainers,
            "names": status_names(_),
            "programme_names": {p.code: p.name for p in choices.all_programmes(session)},
        },
    )
