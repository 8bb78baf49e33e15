"""Every API router, mounted under ``/api/v1`` by :func:`app.main.create_app`."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

from app.reports.router import router as reports_router  # noqa: E402

ROUTERS.append(reports_router)

from app.gdpr.router import router as gdpr_router  # noqa: E402

ROUTERS.append(gdpr_router)

from app.matches.router import router as matches_router  # noqa: E402

ROUTERS.append(matches_router)
