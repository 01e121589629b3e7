"""`/api/admin/jobs` and `/api/admin/queues`: ADMIN only; stats in the seed's six states; jobs
created only for registered types with valid data; failed jobs listed, retried and deleted;
queues paused and resumed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sparkle.core import jobs, runtime
from sparkle.core.queue.broker import Broker

QUEUE_URL = "/api/admin/queues/analytics"


@pytest.fixture
async def persisted(rt: runtime.Runtime, broker: Broker) -> AsyncIterator[Broker]:
    jobs.configure(inline=False)
    yield broker


ENDPOINTS = [
    ("GET", "/api/admin/jobs", None),
    ("GET", "/api/admin/jobs/analytics/failed", None),
    ("POST", "/api/admin/jobs", {"queue": "analytics", "job": "testjobs.record", "data": {"n": 1}}),
    ("POST", "/api/admin/jobs/analytics/some-id/retry", None),
    ("DELETE", "/api/admin/jobs/analytics/some-id", None),
    ("POST", f"{QUEUE_URL}/pause", None),
    ("POST", f"{QUEUE_URL}/resume", None),
]


class TestAccess:
    @pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
    async def test_anonymous(self, client, method, url, body) -> None:  # type: ignore[no-untyped-def]
        r = await client.request(method, url, json=body)
        assert r.status_code == 401

    @pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
    async def test_moderator(self, client, moderator, method, url, body) -> None:  # type: ignore[no-untyped-def]
        r = await client.request(method, url, json=body, headers=moderator.headers)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")


class TestStats:
    async def test_admin_sees_every_queue_in_six_states(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        await jobs.dispatch("testjobs.record", {"n": 1})
        await jobs.dispatch("testjobs.record", {"n": 2}, delay=60)
        r = await client.get("/api/admin/jobs", headers=admin.headers)
        assert r.status_code == 200
        body = r.json()
        assert set(body) >= {"email", "notification", "cleanup", "analytics", "content-moderation"}
        assert body["analytics"] == {
            "waiting": 1,
            "active": 0,
            "completed": 0,
            "failed": 0,
            "delayed": 1,
            "paused": False,
        }

    async def test_without_a_broker_the_api_says_so(self, client, admin) -> None:  # type: ignore[no-untyped-def]
        r = await client.get("/api/admin/jobs", headers=admin.headers)
        assert r.status_code == 503


class TestCreate:
    async def test_a_registered_job_is_queued(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        r = await client.post(
            "/api/admin/jobs",
            json={"queue": "analytics", "job": "testjobs.record", "data": {"n": 3}},
            headers=admin.headers,
        )
        assert r.status_code == 202
        body = r.json()
        assert body["queue"] == "analytics" and body["job"] == "testjobs.record"
        job = await persisted.queue("analytics").job(body["jobId"])
        assert job is not None and job.kwargs == {"payload": {"n": 3}}

    async def test_unknown_queue(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        r = await client.post(
            "/api/admin/jobs",
            json={"queue": "nope", "job": "testjobs.record", "data": {}},
            headers=admin.headers,
        )
        assert r.status_code == 400
        assert r.json()["detail"] == "Invalid queue"
        assert r.json()["errors"][0]["field"] == "queue"

    async def test_unknown_job_or_job_of_another_queue(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        for queue, job in (("analytics", "testjobs.nothing"), ("email", "testjobs.record")):
            r = await client.post(
                "/api/admin/jobs",
                json={"queue": queue, "job": job, "data": {}},
                headers=admin.headers,
            )
            assert r.status_code == 400
            assert r.json()["detail"] == "Invalid job type"

    async def test_malformed_data_names_the_field(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        r = await client.post(
            "/api/admin/jobs",
            json={"queue": "analytics", "job": "testjobs.record", "data": {"n": "many"}},
            headers=admin.headers,
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "data.n"
        assert (await persisted.queue("analytics").counts())["waiting"] == 0

    async def test_a_malformed_body_is_a_400(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        r = await client.post("/api/admin/jobs", json={"queue": "analytics"}, headers=admin.headers)
        assert r.status_code == 400
        assert "job" in {e["field"].split(".")[-1] for e in r.json()["errors"]}


async def failed_job(broker: Broker) -> str:
    queue, job = broker.make_job("testjobs.fail", {"n": 1}, job_key="failing")
    await queue.enqueue(job)
    claimed = await queue.dequeue(timeout=1)
    claimed.attempts = 3
    await claimed.finish(
        __import__("saq").job.Status.FAILED, error="Traceback ...\nRuntimeError: boom"
    )
    return claimed.key


class TestFailedJobs:
    async def test_list_retry_delete(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        key = await failed_job(persisted)
        r = await client.get("/api/admin/jobs/analytics/failed", headers=admin.headers)
        assert r.status_code == 200
        [item] = r.json()
        assert item["id"] == key and item["job"] == "testjobs.fail"
        assert item["status"] == "failed" and item["attempts"] == 3
        assert "RuntimeError: boom" in item["error"]

        r = await client.post(f"/api/admin/jobs/analytics/{key}/retry", headers=admin.headers)
        assert r.status_code == 200
        assert r.json()["status"] == "queued" and r.json()["attempts"] == 0
        counts = await persisted.queue("analytics").counts()
        assert counts["waiting"] == 1 and counts["failed"] == 0

        r = await client.post(f"/api/admin/jobs/analytics/{key}/retry", headers=admin.headers)
        assert r.status_code == 404  # no longer failed

        r = await client.delete(f"/api/admin/jobs/analytics/{key}", headers=admin.headers)
        assert r.status_code == 204
        assert await persisted.queue("analytics").job(key) is None
        r = await client.delete(f"/api/admin/jobs/analytics/{key}", headers=admin.headers)
        assert r.status_code == 404

    async def test_unknown_queue_is_404(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        r = await client.get("/api/admin/jobs/nope/failed", headers=admin.headers)
        assert r.status_code == 404


class TestPause:
    async def test_pause_and_resume(self, client, persisted, admin) -> None:  # type: ignore[no-untyped-def]
        r = await client.post(f"{QUEUE_URL}/pause", headers=admin.headers)
        assert r.status_code == 200 and r.json() == {"queue": "analytics", "paused": True}
        assert (await client.get("/api/admin/jobs", headers=admin.headers)).json()["analytics"][
            "paused"
        ] is True
        r = await client.post(f"{QUEUE_URL}/resume", headers=admin.headers)
        assert r.json() == {"queue": "analytics", "paused": False}
        assert (await client.get("/api/admin/jobs", headers=admin.headers)).json()["analytics"][
            "paused"
        ] is False


class TestOpenAPI:
    async def test_documented(self, client) -> None:  # type: ignore[no-untyped-def]
        paths = (await client.get("/openapi.json")).json()["paths"]
        for path in (
            "/api/admin/jobs",
            "/api/admin/jobs/{queue}/failed",
            "/api/admin/queues/{queue}/pause",
        ):
            assert path in paths
            for op in paths[path].values():
                assert op["summary"] and op["tags"] == ["jobs"]
