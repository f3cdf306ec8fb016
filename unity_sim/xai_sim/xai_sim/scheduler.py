"""When a simulated robot steps and publishes: the timing policy of ``sim_node``, without ROS.

Two modes:

* **lockstep** (``step_on_command=True``, default for training-like runs and the demo): the world
  advances exactly one step per received command, and the sensors are published right after
  that step. Every published state therefore receives exactly one decision, however slow the
  policy is, and no stale command is ever applied to a newer state. While no command arrives
  the unchanged state is republished every ``idle_publish_period_s`` for nodes that join late.
* **real time** (``step_on_command=False``, like the real robot): the world steps on every tick;
  the latest command holds until it is ``cmd_timeout_s`` old, then the robot stops (the usual
  base-controller safety behaviour).

After an episode ends, the next one starts ``reset_delay_s`` later when ``auto_reset`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

STOP = 0


@dataclass(frozen=True)
class TickPlan:
    """What one control tick does: reset, step with ``action`` (None = no step), publish."""

    reset: bool = False
    action: int | None = None
    publish: bool = False


class TickScheduler:
    """Decides, tick by tick, whether to reset, step and publish. Times are seconds."""

    def __init__(
        self,
        step_on_command: bool = True,
        cmd_timeout_s: float = 0.5,
        idle_publish_period_s: float = 0.5,
        auto_reset: bool = True,
        reset_delay_s: float = 1.0,
    ) -> None:
        for name, value in (
            ("cmd_timeout_s", cmd_timeout_s),
            ("idle_publish_period_s", idle_publish_period_s),
            ("reset_delay_s", reset_delay_s),
        ):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        self.step_on_command = step_on_command
        self.cmd_timeout_s = cmd_timeout_s
        self.idle_publish_period_s = idle_publish_period_s
        self.auto_reset = auto_reset
        self.reset_delay_s = reset_delay_s
        self.episode_started()
        self._command, self._command_s = STOP, float("-inf")
        self._published_s = float("-inf")

    def episode_started(self) -> None:
        """Forget pending commands and the end time of the previous episode."""
        self._pending: int | None = None
        self._done_since: float | None = None

    def command(self, action: int, now_s: float) -> None:
        """A (validated) command arrived."""
        self._pending = self._command = action
        self._command_s = now_s

    def tick(self, now_s: float, episode_done: bool) -> TickPlan:
        """Plan this tick. Call :meth:`published` after publishing."""
        idle_publish = now_s - self._published_s >= self.idle_publish_period_s
        if episode_done:
            if self._done_since is None:
                self._done_since = now_s
            if self.auto_reset and now_s - self._done_since >= self.reset_delay_s:
                return TickPlan(reset=True, publish=True)
            return TickPlan(publish=idle_publish)
        if not self.step_on_command:
            fresh = now_s - self._command_s <= self.cmd_timeout_s
            return TickPlan(action=self._command if fresh else STOP, publish=True)
        if self._pending is not None:
            action, self._pending = self._pending, None
            return TickPlan(action=action, publish=True)
        return TickPlan(publish=idle_publish)

    def published(self, now_s: float) -> None:
        """Sensors were published at ``now_s``."""
        self._published_s = now_s
