"""kit.timers.timer: the interval from the configuration when it names one."""

import pytest

from kit.timers import Timer


class Container:
    """What a timer reads of its service container when it is set up."""

    def __init__(self, config: dict):
        self.config = config


def bound(config: dict, **kwargs) -> Timer:
    container = Container(config)  # the timer keeps only a weak reference to it
    timer = Timer(3600, **kwargs).bind(container, "tick")
    timer.setup()
    return timer


def test_the_interval_comes_from_the_configuration_key():
    assert bound({"RUN_EVERY_SECONDS": "2"}, interval_key="RUN_EVERY_SECONDS").interval == 2


def test_without_the_key_the_interval_is_the_declared_one():
    assert bound({}, interval_key="RUN_EVERY_SECONDS").interval == 3600
    assert bound({"RUN_EVERY_SECONDS": "2"}).interval == 3600


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_bad_interval_stops_the_start_naming_the_setting(value):
    with pytest.raises(ValueError, match="RUN_EVERY_SECONDS"):
        bound({"RUN_EVERY_SECONDS": value}, interval_key="RUN_EVERY_SECONDS")
