"""``xai-eval``: evaluate a recorded bag into an HTML / PNG / JSON report (:mod:`.report`).

Usage::

    xai-eval BAG [--checkpoint aqt_goal] [--out out/eval/report]
             [--compare BAG2 | --compare-checkpoint CKPT2] [--topics-prefix /hsr]

``BAG`` is a bag directory, an ``.mcap`` / ``.db3`` file, or several files of one split bag.
Exit status: 0 report written; 1 a bag cannot be read at all or the report cannot be written;
2 bad arguments (no such bag, unusable checkpoint). Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from xai_core.bag.reader import BagError
from xai_core.bag.report import (
    GoalPredictor,
    ReportColumn,
    ReportTopics,
    analyze_bag,
    single_columns,
    write_report,
)

PROG = "xai-eval"
DEFAULT_CHECKPOINT = "aqt_goal"
NO_CHECKPOINT = "none"


class CliError(Exception):
    """A user error: printed as one line, exit status ``code``."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also documents the options in ``--help``)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Evaluate a recorded bag: decision rate and latency, actions, attention, "
        "agreement with a checkpoint, trajectory / ADE / FDE, episodes, topic rates and gaps.",
    )
    parser.add_argument(
        "bag", nargs="+", help="bag directory, .mcap / .db3 file, or the files of a split bag"
    )
    parser.add_argument(
        "--checkpoint",
        default=None,
        help=f"goal-navigation checkpoint (path or committed name) that recomputes the recorded "
        f"decisions (default: {DEFAULT_CHECKPOINT}, skipped if absent; '{NO_CHECKPOINT}': skip)",
    )
    parser.add_argument("--out", default="out/eval/report", help="report directory")
    compare = parser.add_mutually_exclusive_group()
    compare.add_argument("--compare", metavar="BAG2", help="second bag, shown side by side")
    compare.add_argument(
        "--compare-checkpoint", metavar="CKPT2", help="second checkpoint on the same bag"
    )
    parser.add_argument(
        "--topics-prefix", default="", help="namespace of every topic read, e.g. /hsr"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _existing(path: str) -> str:
    if not Path(path).exists():
        raise CliError(f"no such bag: {path}", 2)
    return path


def load_predictor(name: str) -> GoalPredictor:
    """The goal-navigation predictor of a checkpoint (path or committed name).

    Raises:
        CliError: the checkpoint cannot be found or is not a goal-navigation checkpoint.
    """
    from xai_core.checkpoint_io import CheckpointError
    from xai_core.nav.predictor import GoalNavPredictor
    from xai_core.paths import resolve_checkpoint

    try:
        return GoalNavPredictor.from_checkpoint(resolve_checkpoint(name))
    except (FileNotFoundError, CheckpointError) as error:
        raise CliError(str(error), 2) from None


def run(args: argparse.Namespace) -> Path:
    """Evaluate as ``args`` say and write the report; returns the path of ``index.html``."""
    bags = [_existing(p) for p in args.bag]
    compare_bag = _existing(args.compare) if args.compare else None
    predictors: dict[str, GoalPredictor] = {}
    if args.checkpoint != NO_CHECKPOINT:
        name = args.checkpoint or DEFAULT_CHECKPOINT
        try:
            predictors[name] = load_predictor(name)
        except CliError as error:
            if args.checkpoint is not None:
                raise
            print(f"{PROG}: warning: {error}; agreement skipped", file=sys.stderr)
    if args.compare_checkpoint:
        if args.compare_checkpoint in predictors:
            raise CliError(f"--compare-checkpoint {args.compare_checkpoint} is used already", 2)
        predictors[args.compare_checkpoint] = load_predictor(args.compare_checkpoint)
    topics = ReportTopics().with_prefix(args.topics_prefix)
    progress = not args.no_progress
    try:
        first = analyze_bag(bags, predictors, topics, progress=progress)
        if compare_bag is None:
            columns = single_columns(first, list(predictors) or [None])
        else:
            second = analyze_bag(compare_bag, predictors, topics, progress=progress)
            if second.label == first.label:
                second.label += " (2)"
            checkpoint = next(iter(predictors), None)
            columns = [ReportColumn(a.label, a, checkpoint) for a in (first, second)]
    except BagError as error:
        raise CliError(f"unreadable bag: {error}", 1) from None
    try:
        return write_report(columns, args.out)
    except OSError as error:
        raise CliError(f"cannot write the report to {args.out}: {error}", 1) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``xai-eval``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        index = run(args)
    except CliError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.code
    print(f"{PROG}: report written to {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
