"""Check time against the number of rules: one rule, the shipped set, plus 10,000.

The engine looks rules up by package name, so a rule about packages a
repository does not use should cost nothing, and one about packages it does use
should cost one cached range comparison per package and target.  This times
``check_paths`` over the synthetic monorepo of ``generate_monorepo`` with:

- no rules at all (the parse floor, for reference);
- one shipped rule (PA1001);
- every shipped rule;
- every shipped rule plus a synthetic pack of ``--synthetic`` rules, written as
  TOML and loaded through the real loader (its load time is reported too).

The synthetic rules name packages from the monorepo's pool (share
``--pool-share`` of package slots) and invented ones, with random bad ranges,
remedies outside them and examples built to fire as declared; ``--verify``
runs a sample of them through ``pinaudit rules test``'s checker, so the pack
is known to be realistic rather than merely loadable.  Each case is timed in
fresh processes (best of ``--runs``), so every memo starts empty as in the
command, and rule loading happens before the clock starts.  Figures go in the
notes; nothing here asserts (targets: the shipped set within 1.2x of one rule,
10,000 more rules close to that).

``--jobs N`` fixes the number of processes that evaluate the rules (the
command chooses by itself otherwise; ``--jobs 1`` is the one-process figure).

Usage: python -m benchmarks.bench_rules [--services 500] [--synthetic 10000] [--runs 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import gc
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchmarks.generate_monorepo import POOL, generate
from benchmarks.timing import REPO
from pinaudit.check import check_paths
from pinaudit.cli import run_examples
from pinaudit.parallel import processes_for
from pinaudit.rulebook import Rule, RuleSet, builtin_rules_path, load_rules
from pinaudit.targets import make_targets

_PREFIXES = ["acme", "py", "flask", "django", "fast", "aio", "open", "tiny", "hyper", "zen"]
_STEMS = ["orbit", "lumen", "quasar", "tensor", "ledger", "relay", "sprocket", "vault", "kite"]
_SUFFIXES = ["", "-client", "-core", "-utils", "-sdk", "-plugin", "-extras"]


def _invented_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(_PREFIXES)}-{rng.choice(_STEMS)}{rng.choice(_SUFFIXES)}"
        names.add(f"{name}{rng.randint(0, 99)}" if rng.random() < 0.5 else name)
    return sorted(names - set(POOL))


def _range(rng: random.Random, single: bool) -> tuple[str, str, str]:
    """(bad specifier, a version inside it, a real-looking version outside it)."""
    major, minor, patch = rng.randint(1, 9), rng.randint(1, 30), rng.randint(0, 20)
    shape = "eq" if single and rng.random() < 0.5 else rng.choice(["lt", "ge", "between"])
    if shape == "eq":
        version = f"{major}.{minor}.{patch}"
        return f"=={version}", version, f"{major}.{minor}.{patch + 1}"
    if shape == "lt":
        return f"<{major}.{minor}.0", f"{major}.{minor - 1}.{patch}", f"{major}.{minor}.0"
    if shape == "ge":
        return f">={major}.{minor}.0", f"{major}.{minor}.{patch}", f"{major}.{minor - 1}.{patch}"
    return f">={major}.0.0,<{major}.{minor}.0", f"{major}.0.{patch}", f"{major}.{minor}.0"


def _quoted(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def synthetic_pack(count: int, pool_share: float, seed: int = 11) -> str:
    """TOML text of ``count`` valid rules: combinations, bad releases and stale caps."""
    rng = random.Random(seed)
    invented = _invented_names(rng, 3000)
    blocks: list[str] = []
    for number in range(count):
        roll = rng.random()
        kind = "combination" if roll < 0.6 else "bad-release" if roll < 0.85 else "stale-cap"
        size = 1 if kind == "bad-release" else rng.choice([2, 2, 2, 3])
        names: list[str] = []
        while len(names) < size:
            name = rng.choice(POOL) if rng.random() < pool_share else rng.choice(invented)
            if name not in names:
                names.append(name)
        ranges = [_range(rng, kind == "bad-release") for _ in names]
        lines = [
            "[[rule]]",
            f'code = "SYN{number + 10000:05d}"',
            f'slug = "syn-{number}-{"-".join(names)}"',
            f'kind = "{kind}"',
            f'severity = "{rng.choice(["error", "warning", "info"])}"',
            f'summary = "{" and ".join(names)} break together (synthetic rule {number})"',
            f"signature = \"ImportError: cannot import name 'thing{number}' from '{names[0]}'\"",
            f'fixed = "{names[0]} {ranges[0][2]}"',
        ]
        for name, (bad, _, _) in zip(names, ranges, strict=True):
            lines += ["[[rule.packages]]", f'name = "{name}"', f'bad = "{bad}"']
        for name, (_, _, good) in zip(names, ranges, strict=True):
            lines += [
                "[[rule.remedies]]",
                f'package = "{name}"',
                f'version = "{good}"',
                'note = "outside the bad range"',
            ]
        lines += [
            "[[rule.references]]",
            f'url = "https://example.org/synthetic/issues/{number}"',
            'kind = "issue"',
            f'title = "synthetic break {number}"',
        ]
        inside = [f"{name}=={version}" for name, (_, version, _) in zip(names, ranges, strict=True)]
        silent = [f"{names[0]}=={ranges[0][2]}", *inside[1:]]
        examples = [("definite", inside), ("silent", silent)]
        if kind == "combination":
            # The first package pinned inside, the others bare: every range permits it.
            examples.append(("possible", [inside[0], *names[1:]]))
        for expect, requirements in examples:
            lines += ["[[rule.examples]]", f'expect = "{expect}"']
            lines.append(f"requirements = {_quoted(requirements)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


_CASES = ("none", "one", "shipped", "combined")


def _index_for(case: str, pack: Path) -> Mapping[str, Sequence[Rule]]:
    if case == "none":
        return {}
    shipped = load_rules([builtin_rules_path()])
    if case == "one":
        return RuleSet((shipped.by_code()["PA1001"],), ()).index()
    if case == "shipped":
        return shipped.index()
    synthetic = load_rules([pack])
    return RuleSet((*shipped.rules, *synthetic.rules), ()).index()


def _time_one(case: str, tree: Path, pack: Path, jobs: int | None) -> None:
    """The child of :func:`_fresh`: print one pass's seconds and its findings."""
    index = _index_for(case, pack)
    targets = make_targets()
    gc.disable()  # as the pinaudit command runs
    started = time.perf_counter()
    result = check_paths([tree], index, targets, jobs=jobs)
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.6f} {len(result.findings)}")


def _fresh(case: str, tree: Path, pack: Path, runs: int, jobs: int | None) -> tuple[float, int]:
    """Best of ``runs`` fresh processes: every memo starts empty, as in the command.

    Rule loading happens before the clock starts; it is reported apart.
    """
    command = [sys.executable, "-m", "benchmarks.bench_rules", "--time-one", case]
    command += [str(tree), str(pack)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    samples: list[float] = []
    findings = 0
    for _ in range(runs):
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
        seconds, count = done.stdout.split()
        samples.append(float(seconds))
        findings = int(count)
    return min(samples), findings


def _touching(index: Mapping[str, Sequence[Rule]], names: set[str]) -> int:
    return len({rule.code for name in names for rule in index.get(name, ())})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--synthetic", type=int, default=10_000)
    parser.add_argument("--pool-share", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verify", type=int, default=50, help="synthetic rules to test")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="processes that evaluate rules (default: the command's own choice)",
    )
    parser.add_argument("--time-one", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.time_one:
        case, tree_text, pack_text = arguments.time_one
        _time_one(case, Path(tree_text), Path(pack_text), arguments.jobs)
        return

    started = time.perf_counter()
    shipped = load_rules([builtin_rules_path()])
    shipped_load = time.perf_counter() - started
    one = RuleSet((shipped.by_code()["PA1001"],), ())

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pack = root / "pack" / "synthetic.toml"
        pack.parent.mkdir()
        pack.write_text(synthetic_pack(arguments.synthetic, arguments.pool_share), "utf-8")
        started = time.perf_counter()
        synthetic = load_rules([pack])
        synthetic_load = time.perf_counter() - started
        if synthetic.problems:
            raise SystemExit(f"synthetic pack has problems: {synthetic.problems[0].describe()}")
        started = time.perf_counter()
        combined = RuleSet((*shipped.rules, *synthetic.rules), ())
        combined_index = combined.index()
        index_time = time.perf_counter() - started
        print(
            f"loading: {len(shipped.rules)} shipped rules {shipped_load * 1000:.1f} ms; "
            f"{len(synthetic.rules)} synthetic rules ({pack.stat().st_size // 1024} KiB TOML) "
            f"{synthetic_load:.2f} s; index of {len(combined.rules)} rules "
            f"{index_time * 1000:.1f} ms"
        )
        sample = random.Random(5).sample(
            list(synthetic.rules), min(arguments.verify, len(synthetic.rules))
        )
        failures = [
            failure
            for position, rule in enumerate(sample)
            for failure in run_examples(rule, root / "verify" / str(position))
        ]
        print(f"verified the examples of {len(sample)} synthetic rules: {len(failures)} failures")
        for failure in failures[:5]:
            print(f"  {failure}")

        tree = root / "tree"
        written = generate(tree, arguments.services, arguments.lines)
        used = set(POOL)
        processes = processes_for(arguments.services, arguments.jobs)
        print(
            f"monorepo: {written} files from {arguments.services} services; "
            f"best of {arguments.runs} fresh processes per case; "
            f"{processes} process{'es' if processes > 1 else ''} evaluating rules"
        )
        labels = {
            "none": "no rules",
            "one": "one rule (PA1001)",
            "shipped": f"shipped ({len(shipped.rules)})",
            "combined": f"shipped + synthetic ({len(combined.rules)})",
        }
        indexes = {
            "none": {},
            "one": one.index(),
            "shipped": shipped.index(),
            "combined": combined_index,
        }
        print(f"  {'rules':32} {'time':>7}    findings  rules naming a tree package")
        timings: dict[str, float] = {}
        for case in _CASES:
            timings[case], found = _fresh(case, tree, pack, arguments.runs, arguments.jobs)
            touching = _touching(indexes[case], used)
            print(f"  {labels[case]:32} {timings[case]:7.3f} s  {found:8}  {touching:6}")
        base = timings["one"]
        print(
            f"ratios to one rule: shipped {timings['shipped'] / base:.2f}x (target 1.2x); "
            f"shipped + synthetic {timings['combined'] / base:.2f}x"
        )


if __name__ == "__main__":
    main()
