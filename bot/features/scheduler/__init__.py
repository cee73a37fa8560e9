"""Scheduled jobs: the periodic anomaly scan and the daily digest, one replica at a time.

- :mod:`.schedule`  ``every: 5m`` and cron expressions (UTC), the same firings on every replica
- :mod:`.config`    the ``schedules:`` config section (pydantic; errors name the key)
- :mod:`.ports`     :class:`Lease` with a fencing token (Redis/in-memory in ``storage.lease``)
- :mod:`bot.core.coordination` the lease keeper (take, keep, give up) and the fencing check
  a job runs before every post
- :mod:`.runner`    one runner per job per replica: win the lease, renew it, run the firings
- :mod:`.announce`  fenced, once-per-key publishing through :class:`bot.core.ports.Publisher`
- :mod:`.anomaly_scan`, :mod:`.digest`  the jobs
- :mod:`.build`     from config to a :class:`Scheduler`, and the plugin that runs it in ``serve``
"""
