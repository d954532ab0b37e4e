"""Logging with the request id on every line, in every service and the gateway."""

from __future__ import annotations

import contextvars
import logging
import logging.config

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

FORMAT = "%(asctime)s %(levelname)s [%(name)s] [req=%(request_id)s] %(message)s"


def set_request_id(request_id: str | None) -> contextvars.Token:
    return _request_id.set(request_id or "-")


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record so the format can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class WithoutTraceback(logging.Filter):
    """Keeps the record's line and drops its traceback (for warnings that say enough)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


def quiet_broker_reconnects() -> None:
    """kombu logs a whole traceback each time a consumer loses RabbitMQ; its warning line
    ("Connection to broker lost, trying to re-establish connection...") says enough."""
    logging.getLogger("kombu.mixins").addFilter(WithoutTraceback())


def logging_config(level: str = "INFO") -> dict:
    """The dictConfig every process uses (nameko's LOGGING key takes the same)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "kit.logs.RequestIdFilter"}},
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "amqp": {"level": "WARNING"},
            "kombu": {"level": "WARNING"},
            # Expected (domain) errors are logged by nameko as warnings with a traceback; the
            # kit's one line per call already says how each call ended.
            "nameko.containers": {"level": "ERROR"},
        },
    }


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))
