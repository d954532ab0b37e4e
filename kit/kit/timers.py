"""nameko's timer with its interval taken from the configuration when a key is given: the daily
billing run is hourly in production and every few seconds where a test needs to see it run (in
each of two processes at once, say)."""

from __future__ import annotations

from nameko.timer import Timer as NamekoTimer

from kit.config import positive_int


class Timer(NamekoTimer):
    """`@timer(interval=3600, interval_key="X_EVERY_SECONDS")`: every `config[X_EVERY_SECONDS]`
    seconds when the configuration has it (a whole number of at least 1), else `interval`."""

    def __init__(self, interval, interval_key: str | None = None, **kwargs):
        super().__init__(interval, **kwargs)
        self.interval_key = interval_key

    def setup(self) -> None:
        super().setup()
        if self.interval_key and self.container.config.get(self.interval_key) is not None:
            self.interval = positive_int(self.container.config, self.interval_key)


timer = Timer.decorator
