"""Write frame sequences as animated GIFs (Pillow; no ffmpeg needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def write_gif(frames: Sequence[np.ndarray], path: str | Path, fps: float = 5.0) -> Path:
    """Save ``(H, W, 3)`` uint8 RGB frames as a looping GIF at ``fps`` frames per second.

    Raises:
        ValueError: no frames, or frames of different shapes / not uint8 RGB.
    """
    from PIL import Image

    if not frames:
        raise ValueError("write_gif needs at least one frame")
    shape = frames[0].shape
    for i, frame in enumerate(frames):
        if frame.shape != shape or frame.dtype != np.uint8 or frame.ndim != 3:
            raise ValueError(
                f"frame {i} is {frame.shape} {frame.dtype}; all must be {shape} uint8 RGB"
            )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(frame) for frame in frames]
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=int(1000 / fps),
        loop=0,
        optimize=False,
    )
    return path
