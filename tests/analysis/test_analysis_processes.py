"""The driver models in a second process: the same result as in the caller, errors raised in the caller."""

import os

import pytest

from smartcity_utils.analysis.parallel import PROCESSES_VARIABLE, analysis_processes, beside
from smartcity_utils.errors import UserError


def _where_and_what(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def _fails(message: str) -> None:
    raise ValueError(message)


def test_two_processes_run_the_call_in_a_child_and_return_its_result(monkeypatch):
    monkeypatch.setenv(PROCESSES_VARIABLE, "2")
    pid, value = beside(_where_and_what, 21).result()
    assert value == 42
    assert pid != os.getpid()


def test_one_process_runs_the_call_in_the_caller(monkeypatch):
    monkeypatch.setenv(PROCESSES_VARIABLE, "1")
    assert beside(_where_and_what, 4).result() == (os.getpid(), 8)


def test_an_error_in_the_child_is_raised_in_the_caller(monkeypatch):
    monkeypatch.setenv(PROCESSES_VARIABLE, "2")
    with pytest.raises(ValueError, match="the pillar table is empty"):
        beside(_fails, "the pillar table is empty").result()


def test_a_cancelled_call_leaves_no_child(monkeypatch):
    import multiprocessing
    import time

    monkeypatch.setenv(PROCESSES_VARIABLE, "2")
    job = beside(time.sleep, 60)
    job.cancel()
    assert multiprocessing.active_children() == []


def test_ctrl_c_as_the_child_starts_leaves_no_child(monkeypatch):
    """Ctrl-C held back while the child is forked arrives the moment it is let through: the child just
    started is stopped before the interrupt goes on."""
    import multiprocessing
    import multiprocessing.pool
    import time

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setenv(PROCESSES_VARIABLE, "2")
    monkeypatch.setattr(multiprocessing.pool.Pool, "apply_async", interrupted)
    try:
        beside(time.sleep, 60)
    except KeyboardInterrupt:  # looked at while the interrupt is handled, before any clean-up by the collector
        assert multiprocessing.active_children() == []
    else:
        pytest.fail("the interrupt was lost")

@pytest.mark.parametrize("value", ["two", "0", "-1"])
def test_a_bad_process_count_is_named_with_the_fix(monkeypatch, value):
    monkeypatch.setenv(PROCESSES_VARIABLE, value)
    with pytest.raises(UserError, match=f"{PROCESSES_VARIABLE}='{value}'.*set it to 1"):
        analysis_processes()


def test_the_default_is_the_usable_cores_at_most_two(monkeypatch):
    monkeypatch.delenv(PROCESSES_VARIABLE, raising=False)
    assert analysis_processes() == min(len(os.sched_getaffinity(0)), 2)
    monkeypatch.setenv(PROCESSES_VARIABLE, "8")
    assert analysis_processes() == 2
