"""Watch party errors. A party the caller may not see is a 404, like a missing one."""

from __future__ import annotations

from sparkle.core.errors import Conflict, Forbidden, NotFound


class PartyNotFound(NotFound):
    code, title = "party_not_found", "Watch party not found"


class PartyForbidden(Forbidden):
    code, title = "party_forbidden", "Only the host and co-hosts can do that"


class PartyEnded(Conflict):
    code, title = "party_ended", "The watch party has ended"


class PartyFull(Conflict):
    code, title = "party_full", "The watch party is full"


class MomentNotFound(NotFound):
    code, title = "moment_not_found", "Moment not found"


class NotJoined(Forbidden):
    code, title = "not_joined", "Join the party first"
