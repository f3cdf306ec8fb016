"""Numpy-facing SAM with box prompts, an embedding cache and iterative box refinement.

:class:`SamBoxPredictor` encodes an image once (and skips the encoder when the same image comes
again), then answers box prompts: one pass, or issue #9's iteration -- predict a mask from the
box, take the mask's bounding rectangle as the next box, predict again, until the change rate
``sum |M_t - M_t-1| / (H_b * W_b)`` falls to ``threshold`` or ``max_iterations`` passes ran.

Frames: boxes are XYXY pixels of the caller's image (x right, y down, half-open, see
:mod:`.boxes`); SAM sees the image resized so its longest side is the model's input size, then
padded (``segment_anything.utils.transforms.ResizeLongestSide``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from segment_anything.modeling import Sam
from segment_anything.utils.transforms import ResizeLongestSide

from xai_core.images import to_rgb_uint8
from xai_core.paths import resolve_checkpoint

from .boxes import change_rate, mask_to_box
from .checkpoint import load_sam


class BadBoxes(ValueError):
    """Box prompts that cannot be used, with the reason (naming the box index)."""


class BadImage(ValueError):
    """An image that cannot be segmented, with the reason."""


@dataclass
class BoxResult:
    """The answer for one box prompt.

    Attributes:
        mask: ``(H, W)`` bool at the image's size.
        score: SAM's predicted IoU of the final mask.
        iterations: decoder passes used (1 without iteration).
        box: ``(4,)`` float32, the last box prompt (XYXY pixels).
        history: masks after each pass (``history[-1]`` is ``mask``).
    """

    mask: np.ndarray
    score: float
    iterations: int
    box: np.ndarray
    history: list[np.ndarray] = field(default_factory=list)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 from an ``(H, W)`` / ``(H, W, 1)`` / ``(H, W, 3)`` uint8 image.

    Raises:
        BadImage: another dtype or shape, or an empty image.
    """
    try:
        return np.ascontiguousarray(to_rgb_uint8(np.asarray(image)))
    except ValueError as error:
        raise BadImage(str(error)) from None


def encode(model: Sam, images: torch.Tensor) -> torch.Tensor:
    """``(B, 256, g, g)`` image embeddings of ``(B, 3, h, w)`` float 0..255 resized images."""
    return model.image_encoder(model.preprocess(images))


def decode(
    model: Sam, embedding: torch.Tensor, boxes: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """One decoder pass for ``(B, 4)`` boxes (model input frame) on one ``(1, C, g, g)`` embedding.

    Returns:
        ``(B, 1, 4g, 4g)`` low-resolution mask logits and ``(B,)`` predicted IoU.
    """
    sparse, dense = model.prompt_encoder(points=None, boxes=boxes, masks=None)
    logits, iou = model.mask_decoder(
        image_embeddings=embedding,
        image_pe=model.prompt_encoder.get_dense_pe(),
        sparse_prompt_embeddings=sparse,
        dense_prompt_embeddings=dense,
        multimask_output=False,
    )
    return logits, iou[:, 0]


class SamBoxPredictor:
    """A SAM (any :mod:`.build` size, with or without the prompt token) behind numpy calls."""

    def __init__(self, model: Sam, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.transform = ResizeLongestSide(model.image_encoder.img_size)
        self.last_clipped: list[int] = []
        self.encoder_runs = 0
        self._key: bytes | None = None
        self._embedding: torch.Tensor | None = None
        self._original: tuple[int, int] = (0, 0)
        self._input: tuple[int, int] = (0, 0)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> SamBoxPredictor:
        """Load a project checkpoint (a path or a committed name such as ``sam_em_prompt``)."""
        model, _ = load_sam(resolve_checkpoint(path))
        return cls(model, device)

    @property
    def image_size(self) -> tuple[int, int]:
        """``(H, W)`` of the current image (``(0, 0)`` before :meth:`set_image`)."""
        return self._original

    @torch.no_grad()
    def set_image(self, image: np.ndarray) -> bool:
        """Encode ``image`` (``(H, W)`` grey or ``(H, W, 3)`` RGB uint8) unless it is cached.

        Returns:
            True if the encoder ran, False if the embedding of an identical image was reused.
        """
        rgb = as_rgb(image)
        key = hashlib.blake2b(rgb.tobytes(), digest_size=16, key=str(rgb.shape).encode()).digest()
        if key == self._key:
            return False
        resized = self.transform.apply_image(rgb)
        tensor = torch.as_tensor(resized, device=self.device).permute(2, 0, 1)[None].float()
        self._embedding = encode(self.model, tensor)
        self._key, self._original, self._input = key, rgb.shape[:2], resized.shape[:2]
        self.encoder_runs += 1
        return True

    def check_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """Validate ``(N, 4)`` XYXY pixel boxes of the current image; clip partly-outside ones.

        Returns:
            float32 ``(N, 4)`` clipped boxes; :attr:`last_clipped` lists the clipped indices.

        Raises:
            BadBoxes: no image set, wrong shape, none given, non-finite, degenerate
                (``x1 <= x0`` or ``y1 <= y0``) or entirely outside the image.
        """
        if self._embedding is None:
            raise BadBoxes("no image set: call set_image first")
        boxes = np.asarray(boxes, dtype=np.float64)
        if boxes.size == 0:
            raise BadBoxes("no boxes given")
        if boxes.ndim == 1 and boxes.size % 4 == 0:
            boxes = boxes.reshape(-1, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise BadBoxes(f"boxes must be N x 4 (x0, y0, x1, y1), got shape {boxes.shape}")
        height, width = self._original
        clipped = []
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            if not np.all(np.isfinite([x0, y0, x1, y1])):
                raise BadBoxes(
                    f"box {i}: coordinates must be finite, got {[float(v) for v in boxes[i]]}"
                )
            if x1 <= x0 or y1 <= y0:
                raise BadBoxes(f"box {i}: degenerate ({'x1 <= x0' if x1 <= x0 else 'y1 <= y0'})")
            if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
                raise BadBoxes(f"box {i}: entirely outside the {width}x{height} image")
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                clipped.append(i)
        self.last_clipped = clipped
        out = boxes.copy()
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
        return out.astype(np.float32)

    @torch.no_grad()
    def masks_for(self, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One decoder pass: ``(N, H, W)`` bool masks and ``(N,)`` scores for ``(N, 4)`` boxes."""
        assert self._embedding is not None, "set_image first"
        model_boxes = self.transform.apply_boxes(np.asarray(boxes, np.float32), self._original)
        logits, iou = decode(
            self.model, self._embedding, torch.as_tensor(model_boxes, device=self.device)
        )
        masks = self.model.postprocess_masks(logits, self._input, self._original)
        return (masks[:, 0] > self.model.mask_threshold).cpu().numpy(), iou.cpu().numpy()

    def predict_boxes(
        self,
        boxes: np.ndarray,
        iterate: bool = False,
        threshold: float = 0.05,
        max_iterations: int = 5,
    ) -> list[BoxResult]:
        """Masks for ``(N, 4)`` checked boxes (:meth:`check_boxes`), optionally refined.

        With ``iterate``, every box repeats "mask -> bounding rectangle -> next pass" until its
        change rate is at most ``threshold``, its mask is empty, or ``max_iterations`` passes
        ran; unfinished boxes are decoded together in each pass.
        """
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        limit = max(1, int(max_iterations)) if iterate else 1
        prompts = boxes.copy()
        results: list[BoxResult | None] = [None] * len(boxes)
        history: list[list[np.ndarray]] = [[] for _ in boxes]
        active = list(range(len(boxes)))
        for iteration in range(1, limit + 1):
            masks, scores = self.masks_for(prompts[active])
            still = []
            for i, mask, score in zip(active, masks, scores, strict=True):
                history[i].append(mask)
                box = mask_to_box(mask)
                converged = iteration > 1 and (
                    change_rate(history[i][-2], mask, prompts[i]) <= threshold
                )
                if box is None or converged or iteration == limit:
                    results[i] = BoxResult(mask, float(score), iteration, prompts[i].copy(),
                                           history[i])  # fmt: skip
                else:
                    prompts[i] = box
                    still.append(i)
            active = still
            if not active:
                break
        return [r for r in results if r is not None]
