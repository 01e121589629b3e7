"""The persisted job system behind `sparkle.core.jobs`: SAQ queues on Redis, PostgreSQL or a
SQLite file (`broker`), the transactional outbox (`outbox`), workers with cron schedules
(`worker`) and the named queues' settings (`spec`). Handlers never import this package."""

import logging as _logging

# SAQ logs every enqueue and finish at INFO; ours are the job_* events. Keep its warnings.
_logging.getLogger("saq").setLevel(_logging.WARNING)
