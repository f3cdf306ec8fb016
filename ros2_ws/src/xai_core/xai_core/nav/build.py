"""Model registry: every navigation Q-network by name, with its sizes (the only place they live).

``build_model("aqt_goal")`` returns a fresh model; checkpoints store the name and the keyword
arguments so :mod:`xai_core.nav.checkpoint` can rebuild exactly the same architecture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from .models import AQT, GoalCNN, SketchAQT, SketchCNN


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its task (``goal`` or ``sketch``), class and default sizes."""

    name: str
    task: str
    cls: type[nn.Module]
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""


# Sizes are chosen for CPU training on this project's machines (2 cores): width 32 keeps a
# batch-32 DQN update of the AQT in tens of milliseconds. The 12x12 patch grid follows the research.
MODEL_REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            "aqt_goal", "goal", AQT,
            dict(image_size=84, patch_size=7, tokenizer="patch", dim=32, encoder_depth=1,
                 decoder_depth=1, heads=4, dueling=False),
            "AQT, 12x12 patches of 7x7 px, goal-conditioned action queries",
        ),
        ModelSpec(
            "aqt_goal_cnn_tokens", "goal", AQT,
            dict(image_size=84, tokenizer="cnn", dim=32, encoder_depth=1, decoder_depth=1,
                 heads=4, dueling=True),
            "original AQT: DQN-CNN 7x7 tokens, dueling split",
        ),
        ModelSpec("cnn_goal", "goal", GoalCNN, dict(image_size=84, hidden=256),
                  "DQN CNN + goal vector baseline"),
        ModelSpec(
            "aqt_sketch", "sketch", SketchAQT,
            dict(image_size=128, patch_size=16, dim=32, encoder_depth=1, instruction_depth=1,
                 decoder_depth=1, heads=4, max_steps=100),
            "sketch AQT: instruction encoder + top-down patches + decoder",
        ),
        ModelSpec(
            "cnn_sketch", "sketch", SketchCNN,
            dict(image_size=128, dim=32, instruction_depth=1, heads=4, hidden=256,
                 max_steps=100),
            "sketch CNN baseline: instruction encoder + CNN + position head",
        ),
    ]
}  # fmt: skip


def model_names(task: str | None = None) -> tuple[str, ...]:
    """Registered names, optionally only those of one task."""
    return tuple(n for n, s in MODEL_REGISTRY.items() if task is None or s.task == task)


def get_spec(name: str) -> ModelSpec:
    """The spec of a registered model.

    Raises:
        ValueError: unknown name (the message lists the registered ones).
    """
    if name not in MODEL_REGISTRY:
        raise ValueError(f"unknown model '{name}'; registered: {', '.join(MODEL_REGISTRY)}")
    return MODEL_REGISTRY[name]


def model_kwargs(name: str, **overrides: Any) -> dict[str, Any]:
    """Default keyword arguments of ``name`` with ``overrides`` applied (unknown keys rejected)."""
    spec = get_spec(name)
    import inspect

    accepted = set(inspect.signature(spec.cls.__init__).parameters) - {"self"}
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise ValueError(f"{name} has no argument(s) {unknown}; accepted: {sorted(accepted)}")
    return {**spec.defaults, **overrides}


def build_model(name: str, **overrides: Any) -> nn.Module:
    """A freshly initialised model ``name`` (sizes from the registry, then ``overrides``)."""
    return get_spec(name).cls(**model_kwargs(name, **overrides))
