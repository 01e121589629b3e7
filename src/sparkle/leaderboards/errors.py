from sparkle.core.errors import NotFound, ValidationFailed
from sparkle.leaderboards.periods import RESETTABLE, Period


class UnknownPeriod(ValidationFailed):
    code, title = "unknown_period", "Unknown leaderboard period"

    def __init__(self, *, archived: bool = False) -> None:
        allowed = RESETTABLE if archived else tuple(Period)
        super().__init__(
            "No such leaderboard period" + (" with a history" if archived else ""),
            fields={"period": f"Must be one of: {', '.join(p.value for p in allowed)}"},
        )


class PeriodNotArchived(NotFound):
    code, title = "leaderboard_not_archived", "No archived leaderboard for that period"
