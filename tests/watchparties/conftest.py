"""The live server and socket clients of the realtime tests, for watch party's socket tests."""

from tests.realtime.conftest import _live_runtime, connect, live  # noqa: F401
