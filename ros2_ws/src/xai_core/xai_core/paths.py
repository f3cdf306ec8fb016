"""Where the committed artefacts live: model checkpoints under ``training/checkpoints``.

Nodes and scripts take a checkpoint either as a path or as the bare name of a committed one
(``aqt_goal`` -> ``training/checkpoints/aqt_goal.pt``). ``XAI_CHECKPOINT_DIR`` overrides the
directory (e.g. on a robot where the repository is not checked out).
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKPOINT_DIR_ENV = "XAI_CHECKPOINT_DIR"


def repo_root() -> Path:
    """The repository root of this (editable) xai_core install."""
    return Path(__file__).resolve().parents[4]


def checkpoint_dir() -> Path:
    """Directory of the committed checkpoints (``$XAI_CHECKPOINT_DIR`` if set)."""
    override = os.environ.get(CHECKPOINT_DIR_ENV)
    return Path(override) if override else repo_root() / "training" / "checkpoints"


def resolve_checkpoint(name_or_path: str | Path, suffix: str = ".pt") -> Path:
    """A checkpoint path from a path or the name of a committed checkpoint.

    Raises:
        FileNotFoundError: naming both places that were tried.
    """
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate
    named = checkpoint_dir() / (candidate.name if candidate.suffix else candidate.name + suffix)
    if named.is_file():
        return named
    raise FileNotFoundError(
        f"checkpoint '{name_or_path}' not found: neither a file nor a committed checkpoint in "
        f"{checkpoint_dir()} (set {CHECKPOINT_DIR_ENV} to look elsewhere)"
    )
