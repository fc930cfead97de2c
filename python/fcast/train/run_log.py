"""The log of one run: what fcast, neuralforecast, Lightning and Python warnings said while it worked.

Captured into memory (the tail is kept) and stored in nf_model_runs.logs, so a FAILED run keeps
the lines that led to it.
"""

from __future__ import annotations

import logging
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

MAX_LOG_CHARS = 100_000
# Lightning's loggers do not propagate to the root logger, so they are listened to directly.
LIBRARY_LOGGERS = ("", "fcast", "neuralforecast", "pytorch_lightning", "lightning", "lightning.pytorch", "py.warnings")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _TailHandler(logging.Handler):
    def __init__(self, lines: deque) -> None:
        super().__init__(logging.INFO)
        self.lines = lines
        self.setFormatter(logging.Formatter(FORMAT, "%Y-%m-%d %H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "_fcast_run_log", None) is self:  # a propagating record reaches several loggers
            return
        record._fcast_run_log = self
        try:
            self.lines.append(self.format(record))
        except Exception:  # a log line must never break training
            self.handleError(record)


class RunLog:
    """Collects log lines while `capture()` is active; `text()` is the tail, at most MAX_LOG_CHARS."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=5_000)
        self.logger = logging.getLogger("fcast.train")

    def info(self, message: str) -> None:
        self.logger.info(message)

    def exception(self, error: BaseException) -> None:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.lines.append(f"{type(error).__name__}: {error}\n{text}")

    @contextmanager
    def capture(self) -> Iterator[RunLog]:
        handler = _TailHandler(self.lines)
        loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.addHandler(handler)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
        logging.captureWarnings(True)
        try:
            yield self
        finally:
            logging.captureWarnings(False)
            for logger, level in zip(loggers, levels, strict=True):
                logger.removeHandler(handler)
                logger.setLevel(level)

    def text(self) -> str:
        text = "\n".join(self.lines)
        return text[-MAX_LOG_CHARS:]
