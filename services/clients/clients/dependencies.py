"""The clients service's own nameko dependency: the background importer."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import eventlet
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from clients.imports import jobs, running
from kit.db import DATABASE_URL_KEY, make_engine, short_reason

log = logging.getLogger(__name__)

PARALLEL_IMPORTS = 2
LEASE_KEY = "IMPORT_LEASE_SECONDS"


class ImportRunner(DependencyProvider):
    """Runs queued CSV imports in background threads of the service, on their own connections.

    It holds a lease on each job it runs, renewed every third of IMPORT_LEASE_SECONDS, and sweeps
    as often: a running job whose lease ran out (its process was killed, on this machine or
    another) is marked failed; queued ones found at start-up are run.
    """

    def setup(self) -> None:
        url = self.container.config[DATABASE_URL_KEY]
        # One connection per parallel import, one for the leases and the sweep.
        self.engine = make_engine(url, pool_size=PARALLEL_IMPORTS + 1)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.slots = Semaphore(PARALLEL_IMPORTS)
        self.lease = timedelta(seconds=float(self.container.config.get(LEASE_KEY) or 60))
        self.running_jobs: set[uuid.UUID] = set()
        self.stopped = False

    def start(self) -> None:
        self.container.spawn_managed_thread(self._keep_leases)

    def stop(self) -> None:
        self.stopped = True
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> ImportRunner:
        return self

    def submit(self, job_id: uuid.UUID) -> None:
        """Run the job soon; call after the transaction that queued it has committed."""
        self.container.spawn_managed_thread(lambda: self._run(job_id))

    def _keep_leases(self) -> None:
        first = True
        while not self.stopped:
            try:
                with self.sessionmaker() as session:
                    jobs.renew_leases(session, self.running_jobs)
                    queued = jobs.fail_interrupted(session, self.lease)
            except Exception as exc:  # the database is away: the next round tries again
                log.warning("could not renew import leases: %s", short_reason(exc))
            else:
                if first:
                    for job_id in queued:
                        self.submit(job_id)
                    first = False
            eventlet.sleep(self.lease.total_seconds() / 3)

    def _run(self, job_id: uuid.UUID) -> None:
        with self.slots:
            self.running_jobs.add(job_id)
            try:
                with self.sessionmaker() as session:
                    running.run_job(session, job_id, pause=lambda: eventlet.sleep(0))
            except Exception:
                # run_job has marked the job failed with the reason; keep the trace in the log.
                log.exception("import %s failed", job_id)
            finally:
                self.running_jobs.discard(job_id)
