"""Errors of the admin domain."""

from __future__ import annotations

from sparkle.core.errors import Forbidden


class SelfChange(Forbidden):
    code, title = "self_change", "Admins cannot change their own role or ban themselves"
