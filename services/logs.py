"""The process's log output: one format for every record, the server's own and uvicorn's.

`AIPLATFORM_LOG_FORMAT=json` writes one JSON object per line (what log collectors such as
Loki, Elasticsearch or CloudWatch parse without rules); `text` is for a person at a terminal.
Both carry the traceback of an unexpected exception, so a failure is never only in
`system_logs`. uvicorn's own access log is replaced by the server's request log
(`aiplatform.requests`, one line per request), which knows the operation and the caller.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from services.settings import Settings

REQUESTS = "aiplatform.requests"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


def log_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` configuration, also given to uvicorn (its workers apply
    it in each process)."""
    if settings.log_format == "json":
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": JSON_RENAMES,
            "timestamp": False,
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    level = settings.log_level.upper()
    level = "DEBUG" if level == "TRACE" else level
    console = {"class": "logging.StreamHandler", "formatter": "default",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"console": console},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # replaced by REQUESTS, written by the server's request log
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            REQUESTS: {"level": "INFO" if settings.access_log else "WARNING"},
        },
    }


def configure(settings: Settings) -> None:
    """Apply `log_config` to this process (commands other than `serve`, and tests)."""
    logging.config.dictConfig(log_config(settings))
