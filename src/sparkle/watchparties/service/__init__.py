"""Watch parties' rules, by sub-feature: `parties` (creating, inviting, co-hosts, ending,
listings, reminders), `membership` (joining, leaving, host hand-over, closing empty parties),
`playback` (the host-owned playback state) and `moments` (chat and reactions on the video's
timeline); `access` holds who may see and steer a party. Import this package, not its modules:
`from sparkle.watchparties import service`."""

from sparkle.watchparties.service.access import (
    CLOSE_JOB,
    CONTROLLERS,
    EMPTY_GRACE,
    REMIND_BEFORE,
    REMIND_JOB,
    access,
    may_join_room,
    position_at,
    state_of,
)
from sparkle.watchparties.service.membership import close_if_empty, join, leave
from sparkle.watchparties.service.moments import (
    add_moment,
    delete_moment,
    list_moments,
    read_moment,
    timeline,
)
from sparkle.watchparties.service.parties import (
    create,
    end,
    hydrate,
    invite,
    list_parties,
    participants,
    read,
    remind,
    set_cohost,
    update,
)
from sparkle.watchparties.service.playback import set_state

__all__ = [
    "CLOSE_JOB",
    "CONTROLLERS",
    "EMPTY_GRACE",
    "REMIND_BEFORE",
    "REMIND_JOB",
    "access",
    "add_moment",
    "close_if_empty",
    "create",
    "delete_moment",
    "end",
    "hydrate",
    "invite",
    "join",
    "leave",
    "list_moments",
    "list_parties",
    "may_join_room",
    "participants",
    "position_at",
    "read",
    "read_moment",
    "remind",
    "set_cohost",
    "set_state",
    "state_of",
    "timeline",
    "update",
]
