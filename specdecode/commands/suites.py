"""`specdecode suites list|show`: the prompt suites, their labels, and their items."""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ..inputs import int_arg, read_text_file
from ..registry import NamesOf
from ..suites import list_suites, load_suite


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "suites", help="list the prompt suites or show their items",
        description="Domain prompt suites (built offline from installed packages) and user "
                    "JSONL files. Every suite has a dev split (tuning, draft training) and "
                    "a disjoint test split (reporting); the general-DOMAIN suites are held "
                    "out whole (test only), to measure drafts off the suites' distribution.")
    sub = p.add_subparsers(dest="suites_command", metavar="ACTION")
    sub.required = True
    ls = sub.add_parser(
        "list", help="table of suites: version, dev/test counts, label, source, licence")
    ls.add_argument("--json", action="store_true", help="print one JSON object per suite instead")
    ls.set_defaults(func=run_list)
    show = sub.add_parser("show", help="print items of one suite: id, prompt, reference")
    name = show.add_argument(
        "name", help="a built-in suite name (%(registered)s) or a path to a JSONL file")
    name.registered = NamesOf("suite")  # the suite registry's names, when the help is shown
    show.add_argument("--split", default="test", choices=["dev", "test", "all"],
                      help="which split to show (default: test)")
    show.add_argument("--n", type=int_arg(1, fix="use e.g. 3"), default=3,
                      help="how many items, from the start of the split (default: 3)")
    show.set_defaults(func=run_show)


def run_list(args: argparse.Namespace) -> int:
    infos = list_suites()
    if getattr(args, "json", False):
        for info in infos:
            print(json.dumps({**asdict(info), "n_total": info.n_total}, ensure_ascii=False))
        return 0
    w = max(len("NAME"), *(len(info.name) for info in infos))
    print(f"{'NAME':<{w}} {'VERSION':<20} {'DEV':>5} {'TEST':>5}  DESCRIPTION")
    for info in infos:
        counts = f"{info.n_dev:>5} {info.n_test:>5}"
        print(f"{info.name:<{w}} {info.version:<20} {counts}  {info.description}")
        print(f"{'':<{w}} source:  {info.source}")
        print(f"{'':<{w}} licence: {info.licence}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ..suites import SUITES
    from ..suites.user_jsonl import looks_like_path

    if args.name not in SUITES and looks_like_path(args.name):
        read_text_file(args.name, "suite file", fix="give a JSONL file or a built-in suite name "
                       "(see `specdecode suites list`)")  # missing, a directory, unreadable, not UTF-8
    suite = load_suite(args.name, split=args.split, n=args.n)
    print(f"# {suite.name} {suite.version} split={suite.split} items={len(suite.items)}")
    print(f"# {suite.description}")
    for item in suite.items:
        print(f"\n=== {item.id}\n{item.prompt}")
        if item.reference is not None:
            print(f"--- reference\n{item.reference}")
    return 0
