"""GIF writing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from xai_core.media import write_gif


def test_gif_has_every_frame(tmp_path) -> None:
    frames = [np.full((8, 12, 3), i * 40, np.uint8) for i in range(5)]
    path = write_gif(frames, tmp_path / "a" / "run.gif", fps=10)
    with Image.open(path) as gif:
        assert gif.n_frames == 5
        assert gif.size == (12, 8)


def test_mismatched_frames_are_rejected(tmp_path) -> None:
    with pytest.raises(ValueError, match="frame 1"):
        write_gif(
            [np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)], tmp_path / "x.gif"
        )
    with pytest.raises(ValueError, match="at least one"):
        write_gif([], tmp_path / "x.gif")
