"""Leaderboards: community standings per period (daily, weekly, monthly, all time), recomputed
hourly from activity, archived when a period ends, mirrored into Redis sorted sets when Redis is
configured. Public entry points: `service` (reads and the jobs' work) and `scoring` (the source
of scores)."""
