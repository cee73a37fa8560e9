"""Scheduled jobs: the periodic anomaly scan and the daily digest, one replica at a time.

- :mod:`.schedule`  ``every: 5m`` and cron expressions (UTC), the same firings on every replica
- :mod:`.config`    the ``schedules:`` config section (pydantic; errors name the key)
- :mod:`.ports`     :class:`Lease` with a fencing token (Redis/in-memory in ``storage.lease``)
- :mod:`.tenure`    holding a lease; the fencing check a job runs before every post
- :mod:`.runner`    one runner per job per replica: win the lease, renew it, run the firings
- :mod:`.announce`  fenced, once-per-key publishing through :class:`bot.ports.Publisher`
- :mod:`.anomaly_scan`, :mod:`.digest`  the jobs
- :mod:`.build`     from config to a :class:`Scheduler`, and the plugin that runs it in ``serve``

The names below are imported on first use (:mod:`bot.lazy`): :mod:`bot.config` validates the
``schedules:`` section with :mod:`.config`, and loading the jobs (and aiohttp's server) with it
would slow down every command's start-up.
"""

from typing import TYPE_CHECKING

from bot.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.scheduler.build import build_scheduler, scheduler_plugin
    from bot.scheduler.config import SchedulesConfig, load_schedules
    from bot.scheduler.runner import JobRunner, Scheduler
else:
    __getattr__ = lazy_exports(
        __name__,
        {
            "bot.scheduler.build": ("build_scheduler", "scheduler_plugin"),
            "bot.scheduler.config": ("SchedulesConfig", "load_schedules"),
            "bot.scheduler.runner": ("JobRunner", "Scheduler"),
        },
    )

__all__ = [
    "JobRunner",
    "Scheduler",
    "SchedulesConfig",
    "build_scheduler",
    "load_schedules",
    "scheduler_plugin",
]
