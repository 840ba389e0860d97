"""`python -m recdemo {train,evaluate,recommend,lists}`: the command-line front end.

Every error a person can cause ends as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from recdemo import RecdemoError, use_host_cores
from recdemo.batchfile import batch_answers
from recdemo.data import READERS, available
from recdemo.models import MODELS, PRESET_NAMES, hyperparameters

# Batch-file lines answered per batched call: memory stays bounded on a file of any length.
_BATCH_LINES = 1024

# Training-setting flags: their ranges are checked by `TrainConfig`, and an artifact name by
# `validation.check_name`, before anything trains or is written (one line, exit 2).
_TRAIN_FLAGS = {"epochs": int, "batch_size": int, "learning_rate": float, "weight_decay": float,
                "patience": int, "warmup_epochs": int}


def hyperparameter_flags() -> dict[str, tuple[type, str, tuple | None]]:
    """Every registered model's hyperparameters, as `--flag`s: `{name: (type, help, choices)}`.

    Only flags a person sets override the preset, and only those the chosen model accepts are
    passed on; ranges (and a choice another model owns, like `--loss bce` for GRU4Rec) are
    checked by the model's constructor before training starts.
    """
    per_model = {key: hyperparameters(MODELS[key]) for key in MODELS}
    flags = {}
    for name in dict.fromkeys(n for entries in per_model.values() for n in entries):
        owners = {key: entries[name] for key, entries in per_model.items() if name in entries}
        kind, text, _ = next(iter(owners.values()))
        options = {key: entry[2] for key, entry in owners.items() if entry[2]}
        choices = tuple(dict.fromkeys(c for found in options.values() for c in found)) or None
        if len(set(options.values())) > 1:
            text = "per model: " + "; ".join(f"{key} {'|'.join(found)}"
                                            for key, found in options.items())
        elif len(owners) < len(MODELS):
            text = f"{text} ({', '.join(owners)} only)"
        flags[name] = (kind, text, choices)
    return flags


def _dataset_name(text: str) -> str:
    """A known dataset name, `custom:PATH` or `sequences:FILE` (the path is checked when the
    data is read)."""
    if text in available() or any(text.startswith(reader.PREFIX) and len(text) > len(
            reader.PREFIX) for reader in READERS):
        return text
    raise argparse.ArgumentTypeError(f"choose one of {', '.join(available())}, custom:PATH or "
                                     f"sequences:FILE (received {text[:60]!r})")


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2 (no usage dump)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _add_data_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="ml-100k", type=_dataset_name,
                        help=f"{', '.join(available())}, custom:PATH (your own CSV/Parquet logs) "
                             f"or sequences:FILE (a `user item` per line benchmark file)")
    parser.add_argument("--data-dir", help="folder holding the extracted dataset "
                        "(default: $RECDEMO_DATA_DIR, the cache, else download)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _OneLineParser(prog="python -m recdemo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train models and write artifacts")
    train.add_argument("--model", required=True, choices=[*MODELS, "all"])
    _add_data_flags(train)
    train.add_argument("--preset", choices=[*PRESET_NAMES, "auto"],
                       help="named settings, or 'auto': derived from the data's shape "
                            "(default: 'full' on MovieLens, where it was tuned, else 'auto')")
    train.add_argument("--schedule", choices=["constant", "cosine"],
                       help="learning-rate schedule (cosine: warm-up, then decay to --epochs)")
    train.add_argument("--seed", type=int, help="one seed (default 0)")
    train.add_argument("--seeds", type=int, nargs="+",
                       help="several seeds: metrics report their mean, the best seed by "
                            "validation NDCG@10 is saved")
    train.add_argument("--out", help="artifact root (default: the shipped artifacts/)")
    train.add_argument("--name",
                       help="artifact folder name, a plain identifier (default: the model key)")
    for flag, kind in _TRAIN_FLAGS.items():
        train.add_argument(f"--{flag.replace('_', '-')}", type=kind)
    for flag, (kind, text, choices) in hyperparameter_flags().items():
        train.add_argument(f"--{flag.replace('_', '-')}", type=kind, help=text,
                           choices=choices)

    evaluate = commands.add_parser("evaluate", help="full-ranking metrics of an artifact")
    evaluate.add_argument("--model", required=True, choices=list(MODELS))
    evaluate.add_argument("--split", default="test", choices=["test", "valid"])
    evaluate.add_argument("--artifacts", help="artifact root (default: artifacts/)")
    _add_data_flags(evaluate)

    recommend = commands.add_parser("recommend", help="top-k movies for a user or a history")
    recommend.add_argument("--model", required=True, choices=list(MODELS))
    query = recommend.add_mutually_exclusive_group(required=True)
    query.add_argument("--user-id", help="a user id as the data spells it")
    query.add_argument("--history", help="comma-separated item ids, oldest first")
    query.add_argument("--title", action="append", help="a movie title (repeat, oldest first)")
    query.add_argument("--batch", help="JSON lines file of {id, user_id} or {id, history}")
    recommend.add_argument("--k", type=int, default=10, help="how many movies (>= 1)")
    recommend.add_argument("--include-seen", action="store_true",
                           help="keep movies of the history in the ranking")
    recommend.add_argument("--json", action="store_true", help="print JSON")
    recommend.add_argument("--artifacts", help="artifact root (default: artifacts/)")
    _add_data_flags(recommend)

    lists = commands.add_parser(
        "lists", help="store every user's top-10 in an artifact saved without them (the "
                      "dashboard shows a user's first list from it before the model loads)")
    lists.add_argument("--model", required=True, choices=[*MODELS, "all"])
    lists.add_argument("--artifacts", help="artifact root (default: artifacts/)")
    _add_data_flags(lists)
    return parser


def _recommender(args):
    from recdemo.serving import load_data, load_recommender

    dataset, split = load_data(args.dataset, args.data_dir)
    return load_recommender(args.model, dataset, split, args.artifacts)


def run_train(args) -> None:
    """Train the chosen model(s) over the chosen seeds and save artifacts."""
    from recdemo import distributed
    from recdemo.experiment import default_preset, recipe, train_and_save
    from recdemo.serving import load_data

    # A multi-host run (docs/scaling.md) joins its process group before JAX does anything.
    distributed.initialize_from_env()
    dataset, split = load_data(args.dataset, args.data_dir)
    seeds = args.seeds or [args.seed if args.seed is not None else 0]
    keys = list(MODELS) if args.model == "all" else [args.model]
    overrides = {k: getattr(args, k) for k in hyperparameter_flags()
                 if getattr(args, k) is not None}
    train_overrides = {k: getattr(args, k) for k in [*_TRAIN_FLAGS, "schedule"]
                       if getattr(args, k) is not None}
    if args.name and len(keys) > 1:
        raise RecdemoError("--name names one artifact folder: use it with a single --model.")
    preset_name = args.preset or default_preset(dataset.name)
    # Before anything asks JAX for its devices (which fixes them for the process), and only
    # when every model asks: the others train no faster, or slower, across cores.
    settings = [{**recipe(preset_name, key, dataset, split)[1], **train_overrides}
                for key in keys]
    if all(found.get("host_cores") for found in settings):
        use_host_cores(min(found.get("batch_size", 0) for found in settings))
    writer = distributed.is_writer()
    for key in keys:
        accepted = hyperparameters(MODELS[key])
        model_overrides = {k: v for k, v in overrides.items() if k in accepted}

        def print_recipe(reasons: list[str], settings: dict, key=key) -> None:
            print(f"{key} on {dataset.name}, settings derived from the data:")
            for reason in reasons:
                print(f"  - {reason}")
            print("  = " + ", ".join(f"{k} {v}" for k, v in settings.items()))

        show = writer and preset_name == "auto"
        folder = train_and_save(key, dataset, split, preset_name=preset_name, seeds=seeds,
                                model_overrides=model_overrides,
                                train_overrides=train_overrides, root=args.out,
                                name=args.name, progress=writer,
                                on_recipe=print_recipe if show else None)
        if writer:
            print(f"saved {folder}")


def run_evaluate(args) -> None:
    """Print an artifact's metrics beside most-popular, computed now.

    A refitted artifact (two-tower) trained on the validation targets, so scoring it on them
    would be dishonest: for `--split valid` its selection run's recorded metrics are printed,
    with a note saying so.
    """
    from recdemo import artifacts
    from recdemo.evaluation import evaluate, most_popular

    recommender = _recommender(args)
    folder = artifacts.artifact_dir(args.model, recommender.dataset.name, args.artifacts)
    note = None
    recorded = artifacts.read_json(folder, "metrics.json", dict)
    if args.split == "valid" and artifacts.was_refitted(folder, recorded):
        metrics = recorded.get("valid")
        if not isinstance(metrics, dict):
            raise RecdemoError(f"Artifact {folder} records no validation metrics.")
        note = ("note: this model was refitted on train + validation, so its validation "
                "metrics are those recorded for the selection run before the refit.")
    else:
        metrics = evaluate(recommender, args.split)
    rows = [(args.model, metrics),
            ("most_popular", most_popular(recommender.dataset, recommender.split, args.split))]
    print(f"{'model':<14}{'split':<7}{'HR@10':>8}{'NDCG@10':>9}{'MRR':>8}")
    for name, row in rows:
        print(f"{name:<14}{args.split:<7}{row['hr@10']:>8.4f}{row['ndcg@10']:>9.4f}"
              f"{row['mrr']:>8.4f}")
    if note:
        print(note)


def _parse_history(dataset, text: str) -> list[int]:
    try:
        return [dataset.item_of(part.strip()) for part in text.split(",") if part.strip()]
    except RecdemoError as exc:
        raise RecdemoError(f"--history should be comma-separated item ids ({exc})") from None


def run_recommend(args) -> None:
    """Print the top-k for one query, or one JSON line per line of a batch file."""
    if args.k <= 0:
        raise RecdemoError(f"--k should be a positive integer. Received: {args.k}.")
    lines = None
    if args.batch:
        try:
            lines = Path(args.batch).read_text().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise RecdemoError(f"Cannot read --batch file {args.batch}: {exc}.") from None
    recommender = _recommender(args)
    exclude_seen = not args.include_seen
    if lines is not None:
        lines = [line for line in lines if line.strip()]
        for start in range(0, len(lines), _BATCH_LINES):
            for answer in batch_answers(recommender, lines[start: start + _BATCH_LINES],
                                        args.k, exclude_seen):
                print(json.dumps(answer))
        return
    dataset, history = recommender.dataset, None
    if args.history is not None:
        history = _parse_history(dataset, args.history)
    elif args.title:
        from recdemo.catalogue import resolve_title

        history = [resolve_title(dataset.movies, t) for t in args.title]
    user = dataset.user_of(args.user_id) if args.user_id is not None else None
    items = recommender.recommend(user_id=user, history=history, k=args.k,
                                  exclude_seen=exclude_seen)
    if args.json:
        print(json.dumps({"items": [item.to_dict() for item in items]}))
        return
    for rank, item in enumerate(items, start=1):
        shown = "" if item.title == item.item else f"  {item.title}"
        print(f"{rank:>3}  {item.item:>5}  {item.score:>8.3f}{shown}")


def run_lists(args) -> None:
    """Add stored lists to existing artifacts (a new version each, atomically switched)."""
    from recdemo import artifacts, stored_lists
    from recdemo.serving import load_data

    dataset, split = load_data(args.dataset, args.data_dir)
    keys = list(MODELS) if args.model == "all" else [args.model]
    for key in keys:
        folder = artifacts.artifact_dir(key, dataset.name, args.artifacts)
        if args.model == "all" and not folder.exists():
            continue
        stored_lists.add_to_artifact(folder, dataset, split)
        print(f"stored {len(split.users)} users' lists in {folder}")


COMMANDS = {"train": run_train, "evaluate": run_evaluate, "recommend": run_recommend,
            "lists": run_lists}


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 2 a person's error)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # a usage error (2) or --help (0), already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        from recdemo.serving import enable_compilation_cache

        # Training steps and query functions compiled by an earlier run (or the app) load
        # from disk instead of compiling again (~5 s of a SASRec run's first epoch).
        enable_compilation_cache()
        COMMANDS[args.command](args)
    except RecdemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
