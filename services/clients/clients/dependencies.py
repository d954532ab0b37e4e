"""The clients service's own nameko dependency: the background importer."""

from __future__ import annotations

import logging
import uuid

import eventlet
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from clients.imports import jobs, running
from kit.db import DATABASE_URL_KEY, make_engine

log = logging.getLogger(__name__)

PARALLEL_IMPORTS = 2


class ImportRunner(DependencyProvider):
    """Runs queued CSV imports in background threads of the service, on their own connections.

    At start-up, jobs left `running` by a stopped process are marked failed and `queued` ones
    are run.
    """

    def setup(self) -> None:
        url = self.container.config[DATABASE_URL_KEY]
        self.engine = make_engine(url, pool_size=PARALLEL_IMPORTS)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.slots = Semaphore(PARALLEL_IMPORTS)

    def start(self) -> None:
        self.container.spawn_managed_thread(self._recover)

    def stop(self) -> None:
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> ImportRunner:
        return self

    def submit(self, job_id: uuid.UUID) -> None:
        """Run the job soon; call after the transaction that queued it has committed."""
        self.container.spawn_managed_thread(lambda: self._run(job_id))

    def _recover(self) -> None:
        try:
            with self.sessionmaker() as session:
                queued = jobs.fail_interrupted(session)
        except Exception:
            log.exception("could not look for interrupted imports")
            return
        for job_id in queued:
            self.submit(job_id)

    def _run(self, job_id: uuid.UUID) -> None:
        with self.slots:
            try:
                with self.sessionmaker() as session:
                    running.run_job(session, job_id, pause=lambda: eventlet.sleep(0))
            except Exception:
                # run_job has marked the job failed with the reason; keep the trace in the log.
                log.exception("import %s failed", job_id)
