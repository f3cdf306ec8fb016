"""Bag throughput: recording (BagWriter) and reading (BagReader) realistic CDR payloads.

The payloads are what the stack records most of, serialized with the bag typestore:
640x480 rgb8 ``sensor_msgs/Image`` (0.92 MB) and 50k-point ``PointCloud2`` (x y z rgb, 0.8 MB),
alternating. Each storage (MCAP, sqlite3) is timed writing ``total_mb`` of them through
:class:`xai_core.bag.BagWriter` (close included: summary, metadata) and reading them back with
:class:`xai_core.bag.BagReader.messages`; the peer is the same bytes written to / read from one
plain file in the same message-sized pieces (the ceiling for this disk and page cache). The
target is real-time recording and replay of the RGB-D camera pair at 30 Hz (colour 640x480 rgb8
+ depth 640x480 32FC1 = 64.5 MB/s).

    python bench/bag_bench.py [--total-mb 200] [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from xai_core.bag import BagReader, BagWriter, serialize, typestore

WIDTH, HEIGHT, CLOUD_POINTS = 640, 480, 50_000
PERIOD_NS = 33_333_333  # 30 Hz
TARGET_MB_S = (WIDTH * HEIGHT * 3 + WIDTH * HEIGHT * 4) * 30 / 1e6  # RGB-D at 30 Hz, 64.5 MB/s
TOPICS = {
    "/camera/color/image_raw": "sensor_msgs/msg/Image",
    "/xai/attention_cloud": "sensor_msgs/msg/PointCloud2",
}


def payloads(seed: int = 0) -> dict[str, bytes]:
    """One serialized image and one serialized cloud (random content: incompressible)."""
    t = typestore().types
    rng = np.random.default_rng(seed)
    header = t["std_msgs/msg/Header"](
        stamp=t["builtin_interfaces/msg/Time"](sec=1, nanosec=0), frame_id="camera"
    )
    image = t["sensor_msgs/msg/Image"](
        header=header,
        height=HEIGHT,
        width=WIDTH,
        encoding="rgb8",
        is_bigendian=0,
        step=WIDTH * 3,
        data=rng.integers(0, 256, WIDTH * HEIGHT * 3, dtype=np.uint8),
    )
    fields = [
        t["sensor_msgs/msg/PointField"](name=n, offset=4 * k, datatype=7, count=1)
        for k, n in enumerate(("x", "y", "z", "rgb"))
    ]
    cloud = t["sensor_msgs/msg/PointCloud2"](
        header=header,
        height=1,
        width=CLOUD_POINTS,
        fields=fields,
        is_bigendian=False,
        point_step=16,
        row_step=16 * CLOUD_POINTS,
        data=rng.random(4 * CLOUD_POINTS, dtype=np.float32).view(np.uint8),
        is_dense=True,
    )
    topics = iter(TOPICS.items())
    (image_topic, image_type), (cloud_topic, cloud_type) = next(topics), next(topics)
    return {image_topic: serialize(image, image_type), cloud_topic: serialize(cloud, cloud_type)}


def _schedule(data: dict[str, bytes], total_mb: float) -> list[tuple[str, bytes]]:
    pair = sum(len(raw) for raw in data.values())
    frames = max(1, round(total_mb * 1e6 / pair))
    return [(topic, raw) for _ in range(frames) for topic, raw in data.items()]


def _write_bag(path: Path, storage: str, messages: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    with BagWriter(path, storage=storage) as writer:
        for topic, msgtype in TOPICS.items():
            writer.add_topic(topic, msgtype)
        for i, (topic, raw) in enumerate(messages):
            writer.write(topic, i * PERIOD_NS // 2, raw)
    return time.perf_counter() - start


def _read_bag(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    total = 0
    with BagReader(path) as reader:
        for message in reader.messages():
            total += len(message.rawdata)
    return time.perf_counter() - start, total


def _write_plain(path: Path, messages: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    with open(path, "wb") as file:
        for _, raw in messages:
            file.write(raw)
    return time.perf_counter() - start


def _read_plain(path: Path, sizes: list[int]) -> tuple[float, int]:
    start = time.perf_counter()
    total = 0
    with open(path, "rb") as file:
        for size in sizes:
            total += len(file.read(size))
    return time.perf_counter() - start, total


def run(total_mb: float = 200, quick: bool = False) -> dict[str, Any]:
    """Record and read throughput (MB/s, 1 MB = 1e6 bytes of payload) per storage.

    Args:
        total_mb: payload to write per storage; ``quick`` caps it at 20 MB (smoke run).

    Returns:
        ``{"total_mb", "messages", "plain_write_mb_s", "plain_read_mb_s", "<storage>":
        {"write_mb_s", "read_mb_s", "bag_mb"}, "results": [rows for bench/run_bench.py]}``.
    """
    if quick:
        total_mb = min(total_mb, 20.0)
    messages = _schedule(payloads(), total_mb)
    sizes = [len(raw) for _, raw in messages]
    megabytes = sum(sizes) / 1e6
    out: dict[str, Any] = {"total_mb": round(megabytes, 1), "messages": len(messages)}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bag_bench_") as tmp:
        plain = Path(tmp) / "plain.bin"
        plain_write = megabytes / _write_plain(plain, messages)
        seconds, read = _read_plain(plain, sizes)
        assert read == sum(sizes)
        plain_read = megabytes / seconds
        plain.unlink()
        out.update(plain_write_mb_s=round(plain_write, 1), plain_read_mb_s=round(plain_read, 1))
        for storage in ("mcap", "sqlite3"):
            path = Path(tmp) / storage
            write = megabytes / _write_bag(path, storage, messages)
            seconds, read = _read_bag(path)
            if read != sum(sizes):
                raise RuntimeError(f"{storage}: read {read} bytes of {sum(sizes)}")
            read_rate = megabytes / seconds
            bag_mb = sum(f.stat().st_size for f in path.iterdir()) / 1e6
            out[storage] = {
                "write_mb_s": round(write, 1),
                "read_mb_s": round(read_rate, 1),
                "bag_mb": round(bag_mb, 1),
            }
            for what, value, peer in (
                ("record", write, plain_write),
                ("read", read_rate, plain_read),
            ):
                rows.append(
                    {
                        "name": f"bag {what} {storage} ({megabytes:.0f} MB of 640x480 images "
                        f"+ 50k-point clouds)",
                        "value": round(value, 1),
                        "unit": "MB/s",
                        "compared_with": f"plain file {what} {peer:.0f} MB/s "
                        f"(x{value / peer:.2f}); >= {TARGET_MB_S:.1f} MB/s (RGB-D 640x480 at "
                        f"30 Hz)",
                        "ok": bool(value >= TARGET_MB_S),
                    }
                )
    out["results"] = rows
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total-mb", type=float, default=200.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(args.total_mb, args.quick), indent=2))


if __name__ == "__main__":
    main()
