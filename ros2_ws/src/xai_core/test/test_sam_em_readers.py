"""EM readers on small TIFF stacks written here in the published ISBI 2012 and Lucchi layouts."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np
import pytest
import tifffile

from xai_core.sam.em_readers import (
    EMDataError,
    EMStack,
    boxes_from_instances,
    iter_slices,
    label_components,
    read_isbi2012,
    read_lucchi,
)

N, H, W = 3, 64, 64


def _write(path: Path, stack: np.ndarray) -> None:
    """A grey multi-page TIFF, one page per slice (the published layout)."""
    tifffile.imwrite(path, stack, photometric="minisblack")


def _isbi_labels() -> np.ndarray:
    """``(3, 64, 64)`` uint8: 255 cell interiors, 0 membranes (a grid of lines), as published.

    Slice 0: vertical membranes at x = 20 and 41, a horizontal one at y = 30 -> 6 rectangular cells,
    plus a 2 x 2 interior speck enclosed by membrane (below any sensible min_area).
    Slice 1: one membrane at x = 31 -> 2 cells. Slice 2: all membrane -> no cell.
    """
    labels = np.full((N, H, W), 255, np.uint8)
    labels[0, :, [20, 41]] = 0
    labels[0, 30, :] = 0
    labels[0, 50:56, 50:56] = 0
    labels[0, 52:54, 52:54] = 255  # the speck
    labels[1, :, 31] = 0
    labels[2] = 0
    return labels


def _volume(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def isbi_root(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    _write(tmp_path / "train-volume.tif", _volume(rng, (N, H, W)))
    _write(tmp_path / "train-labels.tif", _isbi_labels())
    _write(tmp_path / "test-volume.tif", _volume(rng, (N, H, W)))
    return tmp_path


#: Lucchi slices: discs (cx, cy, r) of mitochondria on 0 background; slice 2 has none.
DISCS = [[(12, 10, 5), (40, 30, 8)], [(30, 24, 10)], []]
LH, LW = 48, 64


def _disc_truth() -> np.ndarray:
    yy, xx = np.mgrid[:LH, :LW]
    truth = np.zeros((len(DISCS), LH, LW), np.uint8)
    for i, discs in enumerate(DISCS):
        for cx, cy, r in discs:
            truth[i][(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = 255
    return truth


@pytest.fixture
def lucchi_root(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    for split in ("training", "testing"):
        _write(tmp_path / f"{split}.tif", _volume(rng, (len(DISCS), LH, LW)))
        _write(tmp_path / f"{split}_groundtruth.tif", _disc_truth())
    return tmp_path


def test_isbi2012_train_cells_are_membrane_separated_components(isbi_root: Path) -> None:
    stack = read_isbi2012(isbi_root, "train", min_area=10)
    assert isinstance(stack, EMStack) and len(stack) == N and stack.source == "isbi2012/train"
    first = stack[0]
    assert first.image.shape == (H, W) and first.image.dtype == np.uint8
    np.testing.assert_array_equal(first.image, tifffile.imread(isbi_root / "train-volume.tif")[0])
    assert first.instances is not None and first.instances.dtype == np.int32
    assert first.boxes is not None and first.boxes.dtype == np.float32
    # Raster order of first pixels: top row left to right, then the bottom row.
    expected = [
        [0, 0, 20, 30],
        [21, 0, 41, 30],
        [42, 0, 64, 30],
        [0, 31, 20, 64],
        [21, 31, 41, 64],
        [42, 31, 64, 64],
    ]
    np.testing.assert_array_equal(first.boxes, np.array(expected, np.float32))
    assert first.instances.max() == 6 and (first.instances[30] == 0).all()
    # The bottom-right cell surrounds the membrane square; the 4-pixel speck inside is dropped.
    assert (first.instances[52:54, 52:54] == 0).all()
    assert first.instance_mask(6).sum() == 22 * 33 - 36
    with_speck = read_isbi2012(isbi_root, "train", min_area=1)[0]
    assert with_speck.boxes is not None and len(with_speck.boxes) == 7
    np.testing.assert_array_equal(with_speck.boxes[6], [52, 52, 54, 54])

    slices = list(iter_slices(stack))
    assert [s.index for s in slices] == [0, 1, 2]
    np.testing.assert_array_equal(slices[1].boxes, [[0, 0, 31, 64], [32, 0, 64, 64]])
    assert slices[2].boxes is not None and slices[2].boxes.shape == (0, 4)
    assert [s.index for s in iter_slices(stack, skip_empty=True)] == [0, 1]
    assert [s.index for s in iter_slices(stack, indices=[2, 0])] == [2, 0]
    assert stack[-1].index == 2
    with pytest.raises(IndexError):
        stack[3]


def test_isbi2012_test_volume_and_explicit_files(isbi_root: Path) -> None:
    test = read_isbi2012(isbi_root, "test")
    assert len(test) == N and test.foreground is None
    section = test[1]
    assert not section.labelled and section.instances is None and section.boxes is None
    with pytest.raises(EMDataError, match="no labels"):
        section.instance_mask(1)
    files = read_isbi2012((isbi_root / "train-volume.tif", isbi_root / "train-labels.tif"))
    assert files[1].boxes is not None and len(files[1].boxes) == 2
    # Writers that store each page as its own image (not one series) give the same stack.
    loose = isbi_root / "loose-labels.tif"
    with tifffile.TiffWriter(loose) as writer:
        for page in _isbi_labels():
            writer.write(page, photometric="minisblack", contiguous=False)
    again = read_isbi2012((isbi_root / "train-volume.tif", loose))
    assert again.foreground is not None and again.foreground.shape == (N, H, W)
    np.testing.assert_array_equal(again[0].boxes, files[0].boxes)


def test_lucchi_discs_give_one_instance_and_box_each(lucchi_root: Path) -> None:
    for split in ("training", "testing"):
        stack = read_lucchi(lucchi_root, split, min_area=5)
        assert len(stack) == 3 and stack.source == f"lucchi/{split}"
        for section, discs in zip(stack, DISCS, strict=True):
            assert section.boxes is not None and section.instances is not None
            expected = [[cx - r, cy - r, cx + r + 1, cy + r + 1] for cx, cy, r in discs]
            np.testing.assert_array_equal(
                section.boxes, np.array(expected, np.float32).reshape(-1, 4)
            )
            for k, (cx, cy, _) in enumerate(discs, start=1):
                assert section.instances[cy, cx] == k
    assert [s.index for s in iter_slices(read_lucchi(lucchi_root), skip_empty=True)] == [0, 1]


def test_missing_and_malformed_files_name_the_problem(tmp_path: Path, isbi_root: Path) -> None:
    with pytest.raises(EMDataError, match=r"train-volume\.tif: file not found"):
        read_isbi2012(tmp_path / "nowhere")
    with pytest.raises(EMDataError, match="split must be one of"):
        read_isbi2012(isbi_root, "val")
    with pytest.raises(EMDataError, match=r"training\.tif: file not found"):
        read_lucchi(tmp_path / "nowhere")
    with pytest.raises(EMDataError, match="split must be one of"):
        read_lucchi(tmp_path, "train")

    bad = tmp_path / "bad"
    bad.mkdir()
    volume, labels = bad / "v.tif", bad / "l.tif"
    (bad / "junk.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(EMDataError, match="not a readable TIFF"):
        read_isbi2012((bad / "junk.tif", None))
    tifffile.imwrite(volume, np.zeros((2, 8, 8, 3), np.uint8))  # RGB pages
    with pytest.raises(EMDataError, match="expected grey pages, got 3 samples per pixel"):
        read_isbi2012((volume, None))
    tifffile.imwrite(volume, np.zeros((3, 8, 8), np.uint8), photometric="rgb")  # planar RGB
    with pytest.raises(EMDataError, match="expected grey pages, got 3 samples per pixel"):
        read_isbi2012((volume, None))
    with tifffile.TiffWriter(volume) as writer:  # pages of different sizes
        writer.write(np.zeros((8, 8), np.uint8), photometric="minisblack")
        writer.write(np.zeros((8, 9), np.uint8), photometric="minisblack")
    with pytest.raises(EMDataError, match="pages of different sizes"):
        read_isbi2012((volume, None))
    _write(volume, np.zeros((2, 8, 8), np.uint16))
    with pytest.raises(EMDataError, match="expected uint8 pixels, got uint16"):
        read_isbi2012((volume, None))
    _write(volume, np.zeros((2, 8, 8), np.uint8))
    _write(labels, np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(EMDataError, match=r"shape \(3, 8, 8\) does not match the images"):
        read_isbi2012((volume, labels))
    _write(labels, np.random.default_rng(2).integers(0, 256, (2, 8, 8), dtype=np.uint8))
    with pytest.raises(EMDataError, match="labels are not binary"):
        read_isbi2012((volume, labels))
    # One page (H, W) is a stack of one; 0/1 masks are accepted as binary.
    _write(volume, np.zeros((8, 8), np.uint8))
    _write(labels, np.eye(8, dtype=np.uint8))
    single = read_isbi2012((volume, labels), min_area=1)
    assert len(single) == 1 and single[0].boxes is not None and len(single[0].boxes) == 8


def _bfs_components(mask: np.ndarray) -> np.ndarray:
    """Reference 4-connected labelling by breadth-first search in raster order."""
    out = np.zeros(mask.shape, np.int32)
    count = 0
    for y, x in zip(*np.nonzero(mask), strict=True):
        if out[y, x]:
            continue
        count += 1
        out[y, x] = count
        queue = deque([(y, x)])
        while queue:
            cy, cx = queue.popleft()
            for ny, nx in ((cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)):
                inside = 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1]
                if inside and mask[ny, nx] and not out[ny, nx]:
                    out[ny, nx] = count
                    queue.append((ny, nx))
    return out


def test_label_components_matches_a_bfs_reference_and_drops_small_ones() -> None:
    rng = np.random.default_rng(3)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 24, 2))
        mask = rng.random((h, w)) < rng.random()
        np.testing.assert_array_equal(label_components(mask), _bfs_components(mask))
    diagonal = np.eye(4, dtype=bool)  # diagonal neighbours are not 4-connected
    assert label_components(diagonal).max() == 4
    mask = np.zeros((6, 10), bool)
    mask[1:3, 1:3] = True  # 4 px
    mask[1:5, 5:9] = True  # 16 px
    mask[5, 0] = True  # 1 px
    labels = label_components(mask, min_area=4)
    assert labels.max() == 2 and labels[5, 0] == 0 and labels[1, 1] == 1 and labels[1, 5] == 2
    assert label_components(np.zeros((3, 3), bool)).max() == 0
    with pytest.raises(EMDataError, match=r"must be \(H, W\)"):
        label_components(np.zeros((2, 3, 3), bool))


def test_boxes_from_instances_convention_and_errors() -> None:
    instances = np.zeros((5, 7), np.int32)
    instances[1:3, 2:6] = 1  # rows 1-2, columns 2-5
    instances[4, 0] = 2  # one pixel
    boxes = boxes_from_instances(instances)
    assert boxes.dtype == np.float32
    np.testing.assert_array_equal(boxes, [[2, 1, 6, 3], [0, 4, 1, 5]])  # x1 - x0 = width
    assert boxes_from_instances(np.zeros((3, 3), np.uint8)).shape == (0, 4)
    instances[instances == 1] = 3
    with pytest.raises(EMDataError, match=r"without gaps; missing \[1\]"):
        boxes_from_instances(instances)
    with pytest.raises(EMDataError, match=">= 0"):
        boxes_from_instances(-instances)
    with pytest.raises(EMDataError, match="integer map"):
        boxes_from_instances(instances.astype(np.float32))
