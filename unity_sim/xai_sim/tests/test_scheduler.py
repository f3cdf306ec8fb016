"""Tick scheduling of sim_node (lockstep vs. real time, idle republishing, auto reset)."""

from __future__ import annotations

import pytest

from xai_sim.scheduler import STOP, TickPlan, TickScheduler


def _run(scheduler: TickScheduler, now: float, done: bool = False) -> TickPlan:
    plan = scheduler.tick(now, done)
    if plan.publish:
        scheduler.published(now)
    return plan


def test_lockstep_steps_once_per_command_and_never_reuses_it() -> None:
    s = TickScheduler(step_on_command=True, idle_publish_period_s=0.5)
    assert _run(s, 0.0) == TickPlan(publish=True)  # first state goes out at once
    assert _run(s, 0.1) == TickPlan(publish=False)  # nothing new, not yet due
    s.command(1, 0.15)
    s.command(2, 0.18)  # only the latest command of a tick counts
    assert _run(s, 0.2) == TickPlan(action=2, publish=True)
    assert _run(s, 0.3) == TickPlan(publish=False)  # no command: no step
    assert _run(s, 0.8) == TickPlan(publish=True)  # idle republish for late joiners


def test_real_time_holds_the_command_until_it_is_stale() -> None:
    s = TickScheduler(step_on_command=False, cmd_timeout_s=0.5)
    s.command(3, 1.0)
    assert _run(s, 1.2).action == 3
    assert _run(s, 1.4).action == 3
    assert _run(s, 1.6).action == STOP


def test_auto_reset_after_the_delay() -> None:
    s = TickScheduler(auto_reset=True, reset_delay_s=1.0, idle_publish_period_s=0.5)
    assert not _run(s, 10.0, done=True).reset
    assert not _run(s, 10.5, done=True).reset
    assert _run(s, 11.0, done=True).reset
    s.episode_started()
    assert not _run(s, 11.1, done=False).reset


def test_no_auto_reset_keeps_republishing_the_final_state() -> None:
    s = TickScheduler(auto_reset=False, idle_publish_period_s=0.5)
    s.command(1, 0.0)
    plans = [_run(s, t / 10, done=True) for t in range(30)]
    assert not any(p.reset or p.action is not None for p in plans)
    assert sum(p.publish for p in plans) == 6  # every 0.5 s over 3 s


def test_negative_periods_are_rejected() -> None:
    with pytest.raises(ValueError, match="cmd_timeout_s"):
        TickScheduler(cmd_timeout_s=-1.0)
