"""Readers for the electron-microscopy sets of the SAM line, in their published TIFF layouts.

* ISBI 2012 (Cardona et al. 2010; the ISBI 2012 EM segmentation challenge): ``train-volume.tif``
  and ``train-labels.tif``, 30 x 512 x 512 uint8 multi-page TIFFs; labels 255 = cell interior,
  0 = membrane. ``test-volume.tif`` (same layout) has no labels. Instances are the 4-connected
  components of the interior (label > 127): cells separated by membrane.
* EPFL / Lucchi mitochondria (Lucchi et al. 2012): ``training.tif``, ``training_groundtruth.tif``,
  ``testing.tif``, ``testing_groundtruth.tif``, 165 x 768 x 1024 uint8 stacks; ground truth
  255 = mitochondrion, 0 = background. Instances are the 4-connected components of the
  foreground, per slice.

The sets publish no boxes: each instance's box is its bounding rectangle (the research's prompt).

Conventions:

* images ``(H, W)`` uint8 grey; instance maps ``(H, W)`` int32, 0 = background, 1..K in the raster
  order of each instance's first pixel (top to bottom, then left to right);
* boxes ``(K, 4)`` float32 XYXY in pixels, ``[x0, y0, x1, y1]`` with x right and y down,
  inclusive-exclusive: the instance covers columns ``x0 .. x1 - 1`` and rows ``y0 .. y1 - 1``,
  so ``x1 - x0`` is its width in pixels (the form ``SamBoxPredictor`` takes).

Every reader raises :class:`EMDataError` (a ``ValueError``) naming the file and the problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

from .boxes import boxes_from_instances as _instance_boxes

__all__ = [
    "ISBI2012_FILES",
    "LUCCHI_FILES",
    "EMDataError",
    "EMSlice",
    "EMStack",
    "boxes_from_instances",
    "iter_slices",
    "label_components",
    "read_isbi2012",
    "read_lucchi",
]

#: split -> (image volume, labels or None) of ISBI 2012 as published.
ISBI2012_FILES: dict[str, tuple[str, str | None]] = {
    "train": ("train-volume.tif", "train-labels.tif"),
    "test": ("test-volume.tif", None),
}
#: split -> (image volume, ground truth) of the EPFL / Lucchi mitochondria set as published.
LUCCHI_FILES: dict[str, tuple[str, str]] = {
    "training": ("training.tif", "training_groundtruth.tif"),
    "testing": ("testing.tif", "testing_groundtruth.tif"),
}
#: Label stacks may hold at most this share of pixels that are neither background nor foreground
#: (0 / 255, or 0 / 1) before they are refused as "not binary" (e.g. an image volume by mistake).
MAX_NON_BINARY_SHARE = 0.01


class EMDataError(ValueError):
    """An EM stack that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class EMSlice:
    """One labelled section of an EM stack.

    Attributes:
        image: ``(H, W)`` uint8 grey image.
        instances: ``(H, W)`` int32 instance ids, 0 = background, 1..K (raster order of first
            pixel); ``None`` for an unlabelled stack (ISBI ``test-volume.tif``).
        boxes: ``(K, 4)`` float32 XYXY pixels, inclusive-exclusive (``x1 - x0`` = width), row
            ``k - 1`` the bounding rectangle of instance ``k``; ``None`` when unlabelled.
        source: which stack, e.g. ``"isbi2012/train"`` or ``"lucchi/testing"``.
        index: the slice's index in that stack (0-based page number).
    """

    image: np.ndarray
    instances: np.ndarray | None
    boxes: np.ndarray | None
    source: str
    index: int

    @property
    def labelled(self) -> bool:
        """Whether the slice has ground truth (instances and boxes)."""
        return self.instances is not None

    def instance_mask(self, k: int) -> np.ndarray:
        """``(H, W)`` bool mask of instance ``k`` (1..K).

        Raises:
            EMDataError: the slice is unlabelled or has no instance ``k``.
        """
        if self.instances is None or self.boxes is None:
            raise EMDataError(f"{self.source}[{self.index}] has no labels")
        if not 1 <= k <= len(self.boxes):
            raise EMDataError(f"{self.source}[{self.index}] has instances 1..{len(self.boxes)}")
        return self.instances == k


@dataclass(frozen=True)
class EMStack:
    """An EM image stack and its binary ground truth, labelled into instances slice by slice.

    Attributes:
        images: ``(N, H, W)`` uint8 grey sections.
        foreground: ``(N, H, W)`` bool ground truth (cell interior / mitochondrion), or ``None``
            for an unlabelled stack.
        source: a short name of the stack, e.g. ``"isbi2012/train"``.
        min_area: instances smaller than this many pixels are dropped (set to background).
    """

    images: np.ndarray
    foreground: np.ndarray | None
    source: str
    min_area: int = 0

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> EMSlice:
        """Slice ``index`` (negative counts from the end) with its instances and boxes."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{self.source} has {n} slices, no index {index}")
        index %= n
        image = self.images[index]
        if self.foreground is None:
            return EMSlice(image, None, None, self.source, index)
        instances = label_components(self.foreground[index], self.min_area)
        return EMSlice(image, instances, boxes_from_instances(instances), self.source, index)

    def __iter__(self) -> Iterator[EMSlice]:
        return iter_slices(self)


# --------------------------------------------------------------------------- instances


def label_components(mask: np.ndarray, min_area: int = 0) -> np.ndarray:
    """4-connected components of a binary mask, small ones dropped.

    Args:
        mask: ``(H, W)`` bool (or anything whose non-zero pixels are the foreground).
        min_area: components with fewer pixels are set to background.

    Returns:
        ``(H, W)`` int32 ids, 0 = background, 1..K in the raster order of each component's first
        pixel (as ``scipy.ndimage.label`` numbers them).

    Raises:
        EMDataError: ``mask`` is not two-dimensional.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise EMDataError(f"a mask must be (H, W), got shape {mask.shape}")
    height, width = mask.shape
    fg = mask.astype(bool)
    # Runs of foreground per row: start (inclusive) and end (exclusive) columns, in raster order.
    edges = np.diff(np.pad(fg, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    run_row, run_start = np.nonzero(edges == 1)
    run_end = np.nonzero(edges == -1)[1]
    n = len(run_row)
    out = np.zeros((height, width), dtype=np.int32)
    if n == 0:
        return out
    # Runs a (row r) and b (row r + 1) touch 4-connectedly iff their column ranges overlap. Keys
    # row * (W + 1) + column are sorted over all runs, so a search per run b finds the range of
    # runs a of the row above with end > start_b and start < end_b.
    stride = width + 1
    start_key = run_row.astype(np.int64) * stride + run_start
    end_key = run_row.astype(np.int64) * stride + run_end
    above = (run_row.astype(np.int64) - 1) * stride
    lo = np.searchsorted(end_key, above + run_start, side="right")
    hi = np.searchsorted(start_key, above + run_end, side="left")
    count = np.maximum(hi - lo, 0)
    b = np.repeat(np.arange(n), count)
    a = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
    # Union by minimum label with pointer jumping; lab[i] <= i always names a run of i's component.
    lab = np.arange(n)
    while True:
        before = lab.copy()
        np.minimum.at(lab, a, lab[b])
        np.minimum.at(lab, b, lab[a])
        while True:
            jumped = lab[lab]
            if np.array_equal(jumped, lab):
                break
            lab = jumped
        if np.array_equal(lab, before):
            break
    # Roots are each component's first run, so sorted roots = raster order of first pixels.
    roots, component = np.unique(lab, return_inverse=True)
    area = np.bincount(component, weights=run_end - run_start, minlength=len(roots))
    keep = area >= max(int(min_area), 0)
    new_id = np.where(keep, np.cumsum(keep), 0).astype(np.int32)
    run_id = new_id[component]
    # Paint the runs: +id at the start, -id at the end, cumulative sum along each row.
    delta = np.zeros((height, width + 1), dtype=np.int32)
    np.add.at(delta, (run_row, run_start), run_id)
    np.add.at(delta, (run_row, run_end), -run_id)
    np.cumsum(delta[:, :width], axis=1, out=out)
    return out


def boxes_from_instances(instances: np.ndarray) -> np.ndarray:
    """Bounding rectangles of the instances of an id map.

    Args:
        instances: ``(H, W)`` integer ids, 0 = background, 1..K.

    Returns:
        ``(K, 4)`` float32 ``[x0, y0, x1 + 1, y1 + 1]`` in pixels (XYXY, inclusive-exclusive), row
        ``k - 1`` for id ``k``, where ``x0 .. x1`` / ``y0 .. y1`` are the instance's first and last
        column / row. K = the largest id; ``(0, 4)`` when there is none.

    Raises:
        EMDataError: not a 2-D integer map, a negative id, or an id in 1..K with no pixel (a gap
            would shift every later row; relabel with :func:`label_components` first).
    """
    try:
        ids, boxes = _instance_boxes(instances)
    except ValueError as error:
        raise EMDataError(str(error)) from None
    if len(ids) != (int(ids[-1]) if len(ids) else 0):
        missing = sorted(set(range(1, int(ids[-1]) + 1)) - set(ids.tolist()))[:5]
        raise EMDataError(f"instance ids must be 1..{int(ids[-1])} without gaps; missing {missing}")
    return boxes


# --------------------------------------------------------------------------- files


def _read_stack(path: Path) -> np.ndarray:
    """``(N, H, W)`` uint8 grey pages of a TIFF, one per page (a single page gives N = 1).

    All pages are read, whether the writer stored them as one series (Fiji, tifffile) or as
    separate images.
    """
    if not path.is_file():
        raise EMDataError(f"{path}: file not found")
    try:
        with tifffile.TiffFile(path) as tif:
            pages = tif.pages
            samples = int(pages[0].samplesperpixel)
            if samples != 1:
                raise EMDataError(
                    f"{path}: expected grey pages, got {samples} samples per pixel (colour)"
                )
            shapes = sorted({tuple(page.shape) for page in pages})
            if len(shapes) > 1:
                raise EMDataError(f"{path}: pages of different sizes {shapes[:3]}: not a stack")
            data = tif.asarray(key=range(len(pages))) if len(pages) > 1 else pages[0].asarray()
    except EMDataError:
        raise
    except Exception as error:  # tifffile raises several types for damaged or ragged files
        raise EMDataError(f"{path}: not a readable TIFF stack ({error})") from None
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3:
        raise EMDataError(
            f"{path}: expected a grey stack (N, H, W) or one page (H, W), got shape {data.shape}"
        )
    if data.dtype != np.uint8:
        raise EMDataError(f"{path}: expected uint8 pixels, got {data.dtype}")
    return data


def _foreground(labels: np.ndarray, path: Path) -> np.ndarray:
    """``(N, H, W)`` bool foreground of a binary-ish uint8 label stack (0/255 or 0/1)."""
    top = 1 if int(labels.max(initial=0)) <= 1 else 255
    odd = np.count_nonzero((labels != 0) & (labels != top))
    if odd > MAX_NON_BINARY_SHARE * labels.size:
        raise EMDataError(
            f"{path}: labels are not binary: {odd / labels.size:.1%} of the pixels are neither 0 "
            f"nor {top} (is this an image volume rather than its labels?)"
        )
    return labels > (top // 2)


def _load(images: Path, labels: Path | None, source: str, min_area: int) -> EMStack:
    volume = _read_stack(images)
    foreground = None
    if labels is not None:
        truth = _read_stack(labels)
        if truth.shape != volume.shape:
            raise EMDataError(
                f"{labels}: shape {truth.shape} does not match the images {images.name} "
                f"{volume.shape}"
            )
        foreground = _foreground(truth, labels)
    return EMStack(volume, foreground, source, int(min_area))


def read_isbi2012(
    root_or_files: str | Path | tuple[str | Path, str | Path | None],
    split: str = "train",
    min_area: int = 20,
) -> EMStack:
    """Read the ISBI 2012 EM segmentation set (Drosophila ventral nerve cord sections).

    Args:
        root_or_files: the directory holding the published files (``train-volume.tif``,
            ``train-labels.tif``, ``test-volume.tif``), or ``(volume, labels or None)`` paths.
        split: ``"train"`` (labelled) or ``"test"`` (no labels); ignored when files are given.
        min_area: cells of fewer pixels (fragments cut by the image border, pixels caught between
            membranes) are dropped.

    Returns:
        The stack; instances are the 4-connected components of the cell interior (label > 127),
        labelled when a slice is taken.

    Raises:
        EMDataError: a missing or unreadable file, not a uint8 grey stack, labels of another shape
            than the images, labels that are not binary, an unknown split.
    """
    if isinstance(root_or_files, tuple):
        volume, labels = root_or_files
        return _load(
            Path(volume), None if labels is None else Path(labels), "isbi2012/files", min_area
        )
    if split not in ISBI2012_FILES:
        raise EMDataError(f"ISBI 2012 split must be one of {sorted(ISBI2012_FILES)}, got {split}")
    root = Path(root_or_files)
    volume_name, labels_name = ISBI2012_FILES[split]
    labels_path = None if labels_name is None else root / labels_name
    return _load(root / volume_name, labels_path, f"isbi2012/{split}", min_area)


def read_lucchi(root: str | Path, split: str = "training", min_area: int = 20) -> EMStack:
    """Read the EPFL / Lucchi mitochondria set (CA1 hippocampus FIB-SEM, 5 nm voxels).

    Args:
        root: the directory holding the published ``training.tif``, ``training_groundtruth.tif``,
            ``testing.tif`` and ``testing_groundtruth.tif``.
        split: ``"training"`` or ``"testing"``.
        min_area: mitochondrion sections of fewer pixels are dropped.

    Returns:
        The stack; instances are the 4-connected components of the mitochondria (ground truth
        > 127) per slice, labelled when a slice is taken.

    Raises:
        EMDataError: as :func:`read_isbi2012`.
    """
    if split not in LUCCHI_FILES:
        raise EMDataError(f"Lucchi split must be one of {sorted(LUCCHI_FILES)}, got {split}")
    volume_name, labels_name = LUCCHI_FILES[split]
    root = Path(root)
    return _load(root / volume_name, root / labels_name, f"lucchi/{split}", min_area)


def iter_slices(
    stack: EMStack, indices: Iterable[int] | None = None, skip_empty: bool = False
) -> Iterator[EMSlice]:
    """The slices of a stack with instances and boxes, labelled one at a time.

    Args:
        stack: from :func:`read_isbi2012` or :func:`read_lucchi`.
        indices: which slices (default all, in order).
        skip_empty: leave out labelled slices without any instance.
    """
    for index in range(len(stack)) if indices is None else indices:
        section = stack[int(index)]
        if skip_empty and section.boxes is not None and len(section.boxes) == 0:
            continue
        yield section
