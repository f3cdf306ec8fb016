"""``xai-bag``: record, play and inspect rosbag2 bags without the ``ros2`` CLI.

    xai-bag record -o PATH [--storage mcap|sqlite3] [--topics T ...] [--exclude T ...]
                   [--split-size-mb N] [--split-duration S]
    xai-bag play BAG [BAG ...] [--rate R] [--start-offset S] [--loop] [--topics T ...]
                 [--remap /from:=/to ...] [--clock] [--wait-for-subscribers S] [--qos-reliable]
    xai-bag info BAG [BAG ...] [--json]

``record`` / ``play`` run ``bag_recorder_node`` / ``bag_player_node`` in this process (Ctrl-C
stops them cleanly); ``info`` is pure Python (no rclpy). A missing or unreadable bag ends with
exit status 1 and one line naming the file and the problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from xai_core.bag import BagError, bag_info, format_info, open_bag
from xai_core.process_graph import ros_args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xai-bag", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    record = commands.add_parser("record", help="record topics into a new bag")
    record.add_argument("-o", "--output", required=True, help="bag directory to create")
    record.add_argument("--storage", choices=["mcap", "sqlite3"], default="mcap")
    record.add_argument("--topics", nargs="+", default=None, help="only these (default: all)")
    record.add_argument("--exclude", nargs="+", default=None, help="names / fnmatch patterns")
    record.add_argument("--split-size-mb", type=float, default=0.0, help="0 = no split")
    record.add_argument("--split-duration", type=float, default=0.0, help="seconds; 0 = off")

    play = commands.add_parser("play", help="publish a bag with its recorded timing")
    play.add_argument("bag", nargs="+", help="bag directory or .mcap / .db3 file(s)")
    play.add_argument("--rate", type=float, default=1.0)
    play.add_argument("--start-offset", type=float, default=0.0, help="seconds into the bag")
    play.add_argument("--loop", action="store_true")
    play.add_argument("--topics", nargs="+", default=None, help="only these (default: all)")
    play.add_argument("--remap", nargs="+", default=None, metavar="FROM:=TO")
    play.add_argument("--clock", action="store_true", help="publish /clock from the bag time")
    play.add_argument("--wait-for-subscribers", type=float, default=0.0, metavar="S")
    play.add_argument("--qos-reliable", action="store_true", help="ignore the recorded QoS")

    info = commands.add_parser("info", help="summary like `ros2 bag info`")
    info.add_argument("bag", nargs="+", help="bag directory or .mcap / .db3 file(s)")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _quoted(values: list[str]) -> list[str]:
    """List items for ``-p name:=[...]``: YAML-quoted so ``:=``, commas and spaces survive."""
    return ["'" + v.replace("'", "''") + "'" for v in values]


def _bags(paths: list[str]) -> str | list[str]:
    """One path alone (then BagReader adds its split parts ``<path>_1`` ...), else the list."""
    return paths[0] if len(paths) == 1 else paths


def _info(args: argparse.Namespace) -> None:
    with open_bag(_bags(args.bag)) as reader:
        summary = bag_info(reader)
    print(json.dumps(summary, indent=2) if args.json else format_info(summary))


def _record(args: argparse.Namespace) -> None:
    from xai_nodes import bag_recorder_node

    params: dict[str, Any] = {
        "output": args.output,
        "storage": args.storage,
        "split_size_mb": args.split_size_mb,
        "split_duration_s": args.split_duration,
    }
    if args.topics:
        params["topics"] = _quoted(args.topics)
    if args.exclude:
        params["exclude"] = _quoted(args.exclude)
    bag_recorder_node.main(ros_args(parameters=params))


def _play(args: argparse.Namespace) -> None:
    open_bag(_bags(args.bag)).close()  # fail here, with one line, before DDS starts
    from xai_nodes import bag_player_node

    params: dict[str, Any] = {
        "bag": _quoted(args.bag),
        "rate": args.rate,
        "start_offset_s": args.start_offset,
        "loop": args.loop,
        "publish_clock": args.clock,
        "wait_for_subscribers_s": args.wait_for_subscribers,
        "qos_from_bag": not args.qos_reliable,
    }
    if args.topics:
        params["topics"] = _quoted(args.topics)
    if args.remap:
        bag_player_node.parse_remaps(args.remap)  # malformed -> ValueError, one line
        params["remap"] = _quoted(args.remap)
    bag_player_node.main(ros_args(parameters=params))


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``xai-bag``."""
    args = _parser().parse_args(argv)
    command = {"info": _info, "record": _record, "play": _play}[args.command]
    try:
        command(args)
    except (BagError, ValueError, OSError) as error:
        raise SystemExit(f"xai-bag {args.command}: {error}") from None
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
