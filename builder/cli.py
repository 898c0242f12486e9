"""`python -m builder`: build, one stage at a time, extract, eval, export-gold, push.

Exit codes: 0 done (also when some or all articles were rejected for their input), 2 a usage or
configuration error (the message says what to fix), 1 a bug that stopped the command (with its
traceback), 3 a build that finished and published, but where some articles hit a bug (a stage
raised on them: their tracebacks are in OUT/errors.jsonl). Heavy libraries (datasets)
are imported by the commands that need them, so `extract` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from builder import __version__
from builder.budget import DEFAULT_ARTICLE_TIMEOUT
from builder.errors import BuildError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_RAW = REPO_ROOT.parent / "shared" / "corpus" / "dev" / "articles"
DEFAULT_EVAL_GOLD = REPO_ROOT.parent / "shared" / "corpus" / "dev" / "gold"
PER_ARTICLE_STAGES = ("segment", "detect", "attribute")
HUB_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# The exit status of a command that published, but lost some articles to a bug (OUT/errors.jsonl).
ERRORS_EXIT_CODE = 3


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, 1 or more (got {value!r})")
    return number


def article_count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of articles, 0 or more (got {value!r})")
    return number


def confidence(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1 (got {value!r})")
    return number


def seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 (no limit) or more (got {value!r})")
    return number


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m builder", description=(
        "Build a quote-attribution dataset (quote, speaker, cue, addressee, offsets) from Arabic news articles."))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, *, raw: bool = False, out: bool = True, workers: bool = False,
                min_confidence: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        if raw:
            sub.add_argument("--raw", type=Path, default=Path("raw"),
                             help="folder of articles: *.txt, *.jsonl, *.jsonl.gz, *.parquet, datasets saved with "
                                  "save_to_disk (default: raw)")
            sub.add_argument("--id-column", default="id", metavar="NAME",
                             help="the article id column of .jsonl / parquet / saved-dataset inputs (default: id)")
            sub.add_argument("--text-column", default="text", metavar="NAME",
                             help="the article text column of .jsonl / parquet / saved-dataset inputs (default: text)")
        if out:
            sub.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
        if workers:
            sub.add_argument("--workers", type=positive_int, default=None,
                             help="processes for the per-article stages (default: all cores; 1 runs in-process)")
            sub.add_argument("--article-timeout", type=seconds, default=DEFAULT_ARTICLE_TIMEOUT, metavar="SECONDS",
                             help="the most one article may take in the per-article stages; past it the article "
                                  "is rejected (`timeout`) and its worker replaced; 0: no limit "
                                  f"(default: {DEFAULT_ARTICLE_TIMEOUT:g})")
            sub.add_argument("--engine", choices=("local", "dask"), default="local",
                             help="where the per-article stages run: local processes, or a Dask cluster (a LocalCluster "
                                  "of WORKERS processes, or the scheduler at $DASK_SCHEDULER); dask needs "
                                  '`pip install ".[dask]"` (default: local)')
        if min_confidence:
            sub.add_argument("--min-confidence", type=confidence, default=0.0,
                             help="leave out quotes whose confidence is below this (default: 0, keep all)")
        if workers or min_confidence:
            sub.add_argument("--quiet", action="store_true", help="no progress bar")
        return sub

    build = command("build", "run every stage on RAW and publish into OUT (replaced only on success)",
                    raw=True, workers=True, min_confidence=True)
    command("ingest", "stage 1: read RAW into OUT/stages/ingest", raw=True, workers=True)
    for stage in PER_ARTICLE_STAGES:
        command(stage, f"rerun the {stage} stage alone from the earlier stages in OUT/stages", workers=True)
    publish = command("publish", "write the datasets, hub folder, rejects, report and manifest from OUT/stages",
                      min_confidence=True)
    from builder.report import DEFAULT_MAX_ARTICLES

    for sub in (build, publish):
        sub.add_argument("--report-articles", type=article_count, default=None, metavar="N",
                         help=f"article pages in OUT/report: the first N articles by id (default: {DEFAULT_MAX_ARTICLES})")
        sub.add_argument("--dedup", action="store_true",
                         help="one row per repeated quote (the same quote, folded, for the same speaker): the row "
                              "of its earliest article; the others are left out (counted in the manifest)")
    extract = command("extract", "print the quote rows of one article body read from stdin, as JSON lines", out=False)
    extract.add_argument("--title", default="", help="the article's title (not searched for quotes)")
    evaluate = command("eval", "build RAW into a temporary folder and score its quotes against gold files",
                       raw=False, out=False, workers=True, min_confidence=True)
    evaluate.add_argument("--raw", type=Path, default=DEFAULT_EVAL_RAW, help=f"articles (default: {DEFAULT_EVAL_RAW})")
    evaluate.add_argument("--gold", type=Path, default=DEFAULT_EVAL_GOLD, help=f"gold files (default: {DEFAULT_EVAL_GOLD})")
    evaluate.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the report as JSON")
    evaluate.add_argument("--record-floors", type=Path, default=None, metavar="FILE",
                          help="record the detection F1, speaker accuracy and end-to-end F1 in FILE (the floors "
                               "the test suite holds the builder to: tests/quality_floors.json), under --floors-name")
    evaluate.add_argument("--floors-name", default="dev", metavar="NAME",
                          help="the entry of --record-floors to write (default: dev)")
    export = command("export-gold", "write the quotes of a build as gold files, one per article", out=False)
    export.add_argument("out", type=Path, metavar="OUT", help="a build's output folder")
    export.add_argument("directory", type=Path, metavar="DIR", help="where to write the gold files")
    push = command("push", "upload OUT/hub to a Hugging Face dataset repository (token from HF_TOKEN)")
    push.add_argument("--hub-repo", required=True, metavar="OWNER/NAME", help="the dataset repository")
    push.add_argument("--private", action="store_true", help="create the repository as private")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run_config(args: argparse.Namespace):
    from builder.runner import RunConfig

    config = RunConfig(out=getattr(args, "out", None), raw=getattr(args, "raw", None),
                       min_confidence=getattr(args, "min_confidence", 0.0), quiet=getattr(args, "quiet", False),
                       report_articles=getattr(args, "report_articles", None), dedup=getattr(args, "dedup", False))
    if getattr(args, "workers", None):
        config.workers = args.workers
    config.engine = getattr(args, "engine", "local")
    timeout = getattr(args, "article_timeout", DEFAULT_ARTICLE_TIMEOUT)
    config.article_timeout = timeout or None
    if (getattr(args, "id_column", "id"), getattr(args, "text_column", "text")) != ("id", "text"):
        from builder.sources import Columns

        config.columns = Columns(args.id_column, args.text_column)
    return config


def cmd_build(args: argparse.Namespace) -> int:
    from builder.runner import build

    summary = build(_run_config(args))
    print(summary.format())
    print(f"report: {args.out / 'report' / 'index.html'}")
    return _exit_code(summary)


def cmd_stage(args: argparse.Namespace) -> int:
    from builder.runner import run_stage_command

    summary = run_stage_command(args.command, _run_config(args))
    print(summary.format())
    return _exit_code(summary)


def cmd_publish(args: argparse.Namespace) -> int:
    from builder.runner import publish_command

    summary = publish_command(_run_config(args))
    print(summary.format())
    return _exit_code(summary)


def _exit_code(summary) -> int:
    """0, or ERRORS_EXIT_CODE when articles were lost to a bug: the output is there, but a script
    or CI running the build must not take it for a clean one."""
    return ERRORS_EXIT_CODE if summary.errors else 0


def cmd_extract(args: argparse.Namespace) -> int:
    from builder import extract
    from builder.ingest import decode

    text, _encoding = decode(sys.stdin.buffer.read())
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)
    for row in extract(text, title=args.title):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from builder.evaluate import format_report
    from builder.gold import evaluate_build
    from builder.runner import build

    if not args.gold.is_dir():
        raise BuildError(f"gold folder {args.gold} does not exist (give one with --gold)")
    with tempfile.TemporaryDirectory(prefix="builder-eval-") as tmp:
        config = _run_config(args)
        config.out = Path(tmp) / "out"
        summary = build(config)
        print(summary.format(), file=sys.stderr)
        try:
            report = evaluate_build(config.out, args.gold)
        except (ValueError, FileNotFoundError) as error:  # unreadable gold files
            raise BuildError(str(error)) from error
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.record_floors:
        from builder.evaluate import record_floors

        figures = record_floors(args.record_floors, args.floors_name, report)
        print(f"recorded in {args.record_floors} as {args.floors_name!r}: {figures}", file=sys.stderr)
    return _exit_code(summary)


def cmd_export_gold(args: argparse.Namespace) -> int:
    from builder.gold import export_gold

    if not (args.out / "quotes").is_dir():
        raise BuildError(f"{args.out} holds no built quotes: run `make build OUT={args.out}` first")
    print(f"wrote {export_gold(args.out, args.directory)} gold files to {args.directory}")
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    """Upload OUT/hub; the token is read from HF_TOKEN only and never shown."""
    hub = args.out / "hub"
    if not HUB_REPO_ID.match(args.hub_repo):
        raise BuildError(f"--hub-repo must look like owner/name (got {args.hub_repo!r})")
    if not (hub / "README.md").is_file():
        raise BuildError(f"{hub} holds no dataset card: run `make build OUT={args.out}` first")
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    offline = "cannot push: the hub is in offline mode (HF_HUB_OFFLINE=1); unset it and retry"
    if constants.HF_HUB_OFFLINE:
        raise BuildError(offline)
    token = os.environ.get("HF_TOKEN")
    if not token:  # never a token saved by `hf auth login`: the environment is the one source
        raise BuildError("cannot push: set HF_TOKEN to a Hugging Face token with write access")
    api = HfApi(token=token)
    try:
        api.create_repo(args.hub_repo, repo_type="dataset", private=args.private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(hub), repo_id=args.hub_repo, repo_type="dataset",
                                   commit_message=f"Upload dataset built by arabic-quotes-builder {__version__}")
    except OfflineModeIsEnabled:
        raise BuildError(offline) from None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "no response"
        raise BuildError(f"cannot push to {args.hub_repo}: the hub answered HTTP {status} "
                         f"(is HF_TOKEN set to a token with write access?)") from None
    except _network_errors() as error:
        raise BuildError(f"cannot push to {args.hub_repo}: the hub is unreachable ({type(error).__name__}); "
                         f"check the network") from None
    print(f"pushed {hub} to https://huggingface.co/datasets/{args.hub_repo} ({getattr(commit, 'oid', '')})")
    return 0


def _network_errors() -> tuple[type[BaseException], ...]:
    """Connection failures of whichever HTTP client huggingface_hub uses."""
    import importlib

    errors: list[type[BaseException]] = [OSError]  # requests' ConnectionError and timeouts derive from it
    for module in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(module).TransportError)
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


COMMANDS = {"build": cmd_build, "ingest": cmd_stage, **dict.fromkeys(PER_ARTICLE_STAGES, cmd_stage),
            "publish": cmd_publish, "extract": cmd_extract, "eval": cmd_eval, "export-gold": cmd_export_gold,
            "push": cmd_push}
