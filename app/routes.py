"""Every API router, mounted under ``/api/v1`` by :func:`app.main.create_app`."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

from app.spreadsheets.exports import router as exports_router  # noqa: E402

ROUTERS.append(exports_router)  # /matches/export before /matches/{id}

from app.reports.router import router as reports_router  # noqa: E402

ROUTERS.append(reports_router)

from app.gdpr.router import router as gdpr_router  # noqa: E402

ROUTERS.append(gdpr_router)

from app.suggestions.router import router as suggestions_router  # noqa: E402

ROUTERS.append(suggestions_router)

from app.matches.router import router as matches_router  # noqa: E402

ROUTERS.append(matches_router)

from app.followups.router import router as followups_router  # noqa: E402

ROUTERS.append(followups_router)

from app.spreadsheets.router import router as spreadsheets_router  # noqa: E402

ROUTERS.append(spreadsheets_router)  # before /newcomers/{id} and /mentors/{id}

from app.api_keys.router import router as api_keys_router  # noqa: E402
from app.associations.router import router as associations_router  # noqa: E402
from app.households.router import router as households_router  # noqa: E402
from app.mentors.router import router as mentors_router  # noqa: E402
from app.newcomers.router import router as newcomers_router  # noqa: E402
from app.programmes.router import router as programmes_router  # noqa: E402

ROUTERS += [
    associations_router,
    programmes_router,
    mentors_router,
    newcomers_router,
    households_router,
    api_keys_router,
]

from app.runs.router import router as runs_router  # noqa: E402

ROUTERS.append(runs_router)
