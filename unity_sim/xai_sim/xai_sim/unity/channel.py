"""``EpisodeConfigChannel``: the side channel of ``unity_sim/CONTRACT.md``.

Python -> Unity: an :class:`EpisodeConfig` (UTF-8 JSON) that the environment applies when the
next episode begins. Unity -> Python: an :class:`EpisodeReport` (UTF-8 JSON) at every episode
end, in the same message as the terminal agent step. Each side-channel message is one ML-Agents
string (int32 little-endian byte length + UTF-8 bytes), i.e. ``OutgoingMessage.write_string`` in
Python and ``OutgoingMessage.WriteString`` in C#.

The same class serves both ends: the trainer side (``UnityNavEnv``) sends configs and collects
reports, the Unity side (the Python player) collects configs and sends reports. A message that
does not parse is logged, kept in ``errors`` and dropped; it never raises into the caller.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SideChannel

from ..env import MODES
from .contract import EPISODE_CONFIG_CHANNEL_ID

log = logging.getLogger(__name__)

NO_SEED = -1
"""``seed`` value meaning "do not re-seed: continue the environment's random stream"."""

NOT_APPLICABLE = -1.0
"""``ade_m`` / ``fde_m`` value outside sketch mode (Unity's JsonUtility cannot write null)."""


@dataclass(frozen=True)
class EpisodeConfig:
    """What the next episode should be (Python -> Unity).

    Attributes:
        mode: ``"goal"`` or ``"sketch"``; stays in force until a later config changes it.
        layout: named layout (``xai_sim.layout_names()``); ``""`` = a procedural floor plan
            (goal mode) / the sketch's own layout (sketch mode). Stays in force.
        seed: re-seed the environment's random stream with this value (>= 0) for the next
            episode only; ``NO_SEED`` (-1) = continue the stream.
        sketch_id: sketch-mode sketch (``xai_sim.sketch_ids()`` or ``"random"``); ``""`` = the
            build's own choice. Stays in force.
    """

    mode: str = "goal"
    layout: str = ""
    seed: int = NO_SEED
    sketch_id: str = ""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {self.mode!r}")
        for name in ("layout", "sketch_id"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string, got {getattr(self, name)!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < NO_SEED:
            raise ValueError(f"seed must be an integer >= -1, got {self.seed!r}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> EpisodeConfig:
        """Parse and validate; absent keys take the defaults above.

        Raises:
            ValueError: not a JSON object, an unknown key, or a value of the wrong type.
        """
        data = _json_object(text)
        unknown = sorted(set(data) - {"mode", "layout", "seed", "sketch_id"})
        if unknown:
            raise ValueError(f"unknown episode config key(s) {unknown}")
        return cls(**data)


@dataclass(frozen=True)
class EpisodeReport:
    """How an episode ended (Unity -> Python), sent with its terminal step.

    Attributes:
        episode: 0-based index of the episode since the environment started.
        layout: layout name (``"procedural:<seed>"`` for a generated floor plan).
        seed: the seed the episode was started with, ``NO_SEED`` if it continued a stream.
        status: ``step`` (int, steps taken), ``collisions`` (int), ``success`` (bool),
            ``reason`` (``"goal_reached"``, ``"max_steps"`` or ``"sketch_done"``), ``ade_m`` and
            ``fde_m`` (metres; ``NOT_APPLICABLE`` outside sketch mode).
    """

    episode: int
    layout: str
    seed: int
    status: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> EpisodeReport:
        """Parse and check the types of the fields this package reads.

        Raises:
            ValueError: not a JSON object, or a missing / mistyped field.
        """
        data = _json_object(text)
        try:
            report = cls(
                episode=_typed(data, "episode", int),
                layout=_typed(data, "layout", str),
                seed=_typed(data, "seed", int),
                status=_typed(data, "status", dict),
            )
            status = report.status
            for key, kind in (
                ("step", int),
                ("collisions", int),
                ("success", bool),
                ("reason", str),
            ):
                _typed(status, key, kind, where="status.")
        except KeyError as e:
            raise ValueError(f"episode report misses {e}") from None
        for key in ("ade_m", "fde_m"):
            if not isinstance(status.get(key, NOT_APPLICABLE), (int, float)):
                raise ValueError(f"status.{key} must be a number, got {status[key]!r}")
        return report

    @property
    def ade_m(self) -> float:
        """ADE in metres, nan when not applicable (goal mode)."""
        return _metres_or_nan(self.status.get("ade_m"))

    @property
    def fde_m(self) -> float:
        """FDE in metres, nan when not applicable (goal mode)."""
        return _metres_or_nan(self.status.get("fde_m"))


class EpisodeConfigChannel(SideChannel):
    """ML-Agents side channel ``3f6c2d1e-8b4a-4f1e-9c7d-2a5b6e8f9d01`` (both directions).

    Messages carrying a ``"status"`` key are reports, the others configs. Received ones queue
    up until :meth:`pop_configs` / :meth:`pop_reports`.
    """

    def __init__(self) -> None:
        super().__init__(EPISODE_CONFIG_CHANNEL_ID)
        self._configs: list[EpisodeConfig] = []
        self._reports: list[EpisodeReport] = []
        self.errors: list[str] = []

    def send_config(self, config: EpisodeConfig) -> None:
        """Queue a config; it travels with the next ``step()`` / ``reset()`` input."""
        self._send(config.to_json())

    def send_report(self, report: EpisodeReport) -> None:
        """Queue a report (Unity side); it travels with the next output."""
        self._send(report.to_json())

    def on_message_received(self, msg: IncomingMessage) -> None:
        text = msg.read_string()
        try:
            is_report = "status" in _json_object(text)
            if is_report:
                self._reports.append(EpisodeReport.from_json(text))
            else:
                self._configs.append(EpisodeConfig.from_json(text))
        except (ValueError, TypeError) as e:
            error = f"dropped episode side-channel message {text[:200]!r}: {e}"
            log.warning(error)
            self.errors.append(error)

    def pop_configs(self) -> list[EpisodeConfig]:
        """Configs received since the last call, oldest first."""
        configs, self._configs = self._configs, []
        return configs

    def pop_reports(self) -> list[EpisodeReport]:
        """Reports received since the last call, oldest first."""
        reports, self._reports = self._reports, []
        return reports

    def _send(self, text: str) -> None:
        msg = OutgoingMessage()
        msg.write_string(text)
        self.queue_message_to_send(msg)


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


def _typed(data: dict[str, Any], key: str, kind: type, where: str = "") -> Any:
    value = data[key]
    if kind is int and isinstance(value, bool):
        raise ValueError(f"{where}{key} must be an integer, got {value!r}")
    if not isinstance(value, kind):
        raise ValueError(f"{where}{key} must be {kind.__name__}, got {value!r}")
    return value


def _metres_or_nan(value: Any) -> float:
    if value is None or not isinstance(value, (int, float)) or value < 0:
        return math.nan
    return float(value)
