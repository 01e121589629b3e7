"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from sparkle.core.schemas import Schema

router = APIRouter(tags=["health"])


class Health(Schema):
    status: str


class Readiness(Schema):
    status: str
    components: dict[str, str]


@router.get("/health", response_model=Health, summary="Liveness")
async def health() -> Health:
    return Health(status="ok")


@router.get(
    "/health/ready",
    response_model=Readiness,
    summary="Readiness: database and (when configured) Redis",
    responses={503: {"model": Readiness, "description": "A component is down"}},
)
async def ready(request: Request) -> JSONResponse:
    rt = request.app.state.runtime
    components: dict[str, str] = {}
    try:
        async with rt.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        components["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, never raise: this is the probe
        components["database"] = f"error: {type(exc).__name__}"
    if rt.redis is not None:
        try:
            await rt.redis.ping()
            components["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported in the probe's answer
            components["redis"] = f"error: {type(exc).__name__}"
    failing = [k for k, v in components.items() if v != "ok"]
    body: dict[str, object] = {
        "status": "ok" if not failing else "unavailable",
        "components": components,
    }
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=503 if failing else 200)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
