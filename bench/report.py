"""What bench/compare measured, kept and shown: every timed build by scenario and variant, the
tables (median and spread of every scenario, the frontend's phases, the CI shape) and the
chart. Kept apart from compare.py, which runs the builds."""

import statistics
import sys

import workload

# What each kind of scenario is called in the tables (an edit is named by the workload).
LABELS = {
    "cold": "cold",
    "noop": "no-op rebuild",
    "dependency": "dependency added to go.mod",
    "ci": "CI: fresh builder + registry cache",
}
# The variant each kind is also measured against: what no build tool could go under.
FLOORS = {"cold": "one-go-build", "noop": "no-op floor"}


def scenario(kind, work):
    label = work.edit_label if kind == "edit" else LABELS[kind]
    return f"{label}, {work.name}"


def goal(kind, work):
    """Issue 17's goal for a scenario of `work` (issue 19's for the test target): what
    gofrontend is measured against (the Dockerfile or the floor), and a ratio or seconds more
    it may be at most; None where no goal is set."""
    vendored = work.name.startswith("vendored")
    services = len(work.services)
    if work.tests:
        # Issue 19's goals for the test target; none for its cold build.
        return {"edit": ("Dockerfile", "ratio", 1.0), "ci": ("Dockerfile", "ratio", 0.2)}.get(kind)
    if kind == "cold":
        return ("Dockerfile", "ratio", 1.0) if services == 1 and not vendored else ("floor", "ratio", 1.05)
    if kind == "edit":
        return "Dockerfile", "ratio", 0.6 if vendored else 1.0 if services == 1 else 0.5 if services <= 4 else 0.3
    if kind == "noop":
        return "floor", "plus", 0.1 if vendored else 0.05
    return "Dockerfile", "ratio", 0.1 if kind == "ci" else 1.0


class Results:
    """Every timed build in run order: runs[scenario][variant] is a list of
    {"seconds", and for gofrontend "phases" [[name, ms, detail], ...] and "solve_sent_ms"}."""

    def __init__(self):
        self.runs = {}
        self.kinds = {}
        self.goals = {}

    def add(self, work, kind, variant, run):
        name = scenario(kind, work)
        self.kinds[name] = kind
        self.goals[name] = goal(kind, work)
        self.runs.setdefault(name, {}).setdefault(variant.name, []).append(run)
        print(f"  {name:<44} {variant.name:<20} {run['seconds']:7.2f} s", file=sys.stderr, flush=True)

    def seconds(self, scenario, name):
        return [run["seconds"] for run in self.runs[scenario].get(name, [])]

    def median(self, scenario, name):
        return statistics.median(self.seconds(scenario, name))

    def json(self):
        times = {s: {v: [r["seconds"] for r in runs] for v, runs in by.items()} for s, by in self.runs.items()}
        return {"times": times, "kinds": self.kinds, "goals": self.goals, "runs": self.runs}


def spread(values):
    """Median and range: `1.23 (1.10-1.40)`."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def versus(goal, ours, theirs, floor):
    """gofrontend against what its goal names (the Dockerfile or the floor): the goal and
    whether it is met; not measured (None) without the floor."""
    against, form, limit = goal
    reference = theirs if against == "Dockerfile" else floor
    plus = f"+{limit} s" if form == "plus" else f"{limit}x"
    shown = f"at most {plus} {'the ' + against if against == 'Dockerfile' else 'over the floor' if form == 'plus' else 'the floor'}"
    if reference is None:
        return shown, None
    return shown, (ours - reference <= limit) if form == "plus" else (ours / reference <= limit)


def floor_cells(results, scenario, kind, ours):
    """The floor's time and gofrontend against it: a ratio for the cold build, the seconds
    over it for the no-op (what the frontend adds to a frontend that returns at once)."""
    name = FLOORS.get(kind)
    values = results.seconds(scenario, name) if name else []
    if not values:
        return "", ""
    floor = statistics.median(values)
    against = f"{ours - floor:+.2f} s" if kind == "noop" else f"{ours / floor:.2f}x"
    return f"{name}: {spread(values)}", against


def table(results, ours="gofrontend", theirs="Dockerfile"):
    rows = [f"| scenario | reps | {ours} (s) | {theirs} (s) | ratio | goal | met | floor (s) | {ours} vs floor |",
            "|---|---:|---:|---:|---:|---|---|---|---:|"]
    for scenario, kind in results.kinds.items():
        mine, other = results.seconds(scenario, ours), results.seconds(scenario, theirs)
        if not mine or not other:
            continue
        ours_median, theirs_median = statistics.median(mine), statistics.median(other)
        floor_values = results.seconds(scenario, FLOORS[kind]) if kind in FLOORS else []
        floor_median = statistics.median(floor_values) if floor_values else None
        goal, met = ("none set", "")
        if results.goals[scenario]:
            goal, met = versus(results.goals[scenario], ours_median, theirs_median, floor_median)
        floor, against = floor_cells(results, scenario, kind, ours_median)
        ratio = f"{ours_median / theirs_median:.2f}" + (
            f" ({ours_median - theirs_median:+.2f} s)" if kind == "noop" else "")
        rows.append(f"| {scenario} | {len(mine)} | {spread(mine)} | {spread(other)} | {ratio} | {goal} | "
                    f"{'not measured' if met is None else met if met == '' else 'yes' if met else 'no'} | {floor} | {against} |")
    return "\n".join(rows)


def phase_sums(run):
    """A run's milliseconds per phase; a phase logged more than once (one per platform) summed."""
    sums = {}
    for name, ms, _ in run.get("phases", []):
        sums[name] = sums.get(name, 0) + ms
    return sums


def own_lines(run):
    """Whether a run's log window held its own frontend's lines and no other's."""
    return bool(run.get("phases")) and len(run.get("solve_sent_ms", [])) <= 1


def phase_table(results):
    """Median milliseconds of each frontend phase, per scenario and frontend variant, from the
    `gofrontend: phase` lines each build left in the daemon log; `solve sent` is the time from
    the frontend's start to its Solve call. Builds whose log window also held another
    frontend's lines are left out (`builds` counts the rest)."""
    rows, names = [], []
    for scenario, by_variant in results.runs.items():
        for variant, runs in by_variant.items():
            measured = [r for r in runs if own_lines(r)]
            if not measured:
                continue
            sums = [phase_sums(r) for r in measured]
            for s in sums:
                names += [n for n in s if n not in names]
            sent = [r["solve_sent_ms"][0] for r in measured if r.get("solve_sent_ms")]
            wall = statistics.median(r["seconds"] for r in measured)
            rows.append((scenario, variant, len(measured), wall, sent, sums))
    if not rows:
        return "(no gofrontend phase lines found in the daemon log)"
    out = ["| scenario | variant | builds | wall (s) | solve sent | " + " | ".join(names) + " |",
           "|---|---|---:|---:|---:|" + "---:|" * len(names)]
    for scenario, variant, count, wall, sent, sums in rows:
        cells = [median_cell([s[n] for s in sums if n in s]) for n in names]
        out.append(f"| {scenario} | {variant} | {count} | {wall:.2f} | {median_cell(sent)} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def log_notes(results):
    """What to doubt in the phases: builds whose log window held another frontend's lines too
    (someone else building on the daemon), or none at all."""
    runs = [r for by in results.runs.values() for rs in by.values() for r in rs if "phases" in r]
    mixed = sum(1 for r in runs if len(r["solve_sent_ms"]) > 1)
    missing = sum(1 for r in runs if not r["phases"])
    notes = []
    if mixed:
        notes.append(f"{mixed} gofrontend builds found more than one frontend's lines in the daemon log "
                     "while they ran (another build on the daemon?): left out of the phase medians")
    if missing:
        notes.append(f"{missing} gofrontend builds left no phase lines in the daemon log")
    return notes


def median_cell(values):
    return f"{statistics.median(values):g}" if values else "-"


def ci_details(results, variants, cache_sizes):
    """The CI shape's times and registry cache sizes for every variant, as a table."""
    rows = ["| CI shape | rebuild (s): median (min-max) | registry cache (MB) |", "|---|---:|---:|"]
    for name in [s for s, kind in results.kinds.items() if kind == "ci"]:
        for variant in variants:
            rows.append(f"| {variant.name} | {spread(results.seconds(name, variant.name))} | "
                        f"{cache_sizes[variant.name] / 1e6:.1f} |")
    return "\n".join(rows)


def solve_summary(results):
    """From the frontend's start to its Solve, over every gofrontend build of the run."""
    sent = [ms for by in results.runs.values() for runs in by.values() for r in runs if own_lines(r)
            for ms in r["solve_sent_ms"]]
    if not sent:
        return None
    return (f"frontend start to Solve: median {statistics.median(sent)} ms, max {max(sent)} ms over "
            f"{len(sent)} builds (from the daemon log)")


def pyplot():
    """matplotlib's pyplot drawing to files, or None without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        print("chart: not drawn, no matplotlib (bench/compare installs it in its venv)", file=sys.stderr)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chart(results, works, variants, path):
    """Build time against the number of services, cold and after an edit, where measured.
    Returns False when there is nothing to draw or no matplotlib."""
    kinds = [k for k in ["cold", "edit"] if all(scenario(k, w) in results.runs for w in works)]
    plt = pyplot() if kinds and works else None
    if plt is None:
        return False
    counts = [len(w.services) for w in works]
    fig, axes = plt.subplots(1, len(kinds), figsize=(5 * len(kinds), 4), dpi=120, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        for variant, style in zip(variants, ["o-", "s--"]):
            ys = [results.median(scenario(kind, w), variant.name) for w in works]
            ax.plot(counts, ys, style, label=variant.name if style == "o-" else "hand-written Dockerfile")
        ax.set_title(f"{kind if kind == 'cold' else works[0].edit_label} build (median)")
        ax.set_xlabel("services in one build")
        ax.set_ylabel("seconds")
        ax.set_xticks(counts)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("gofrontend vs the hand-written Dockerfile, Docker 26.1 (BuildKit 0.13), 2 cores")
    fig.tight_layout()
    fig.savefig(path)
    return True


def against_the_dockerfile(goal, ours, theirs, floor):
    """gofrontend's median and its goal as fractions of the Dockerfile's median, and whether
    the goal is met (see `versus`); the goal None where it names a floor that was not measured."""
    against, form, limit = goal
    if against == "Dockerfile":
        tick = limit
    elif floor is None:
        tick = None
    else:
        tick = (floor + limit if form == "plus" else floor * limit) / theirs
    return ours / theirs, tick, versus(goal, ours, theirs, floor)[1]


def workload_label(args):
    """What sets a run's workload apart beyond its scenario names: heavier modules than the
    default."""
    if args.get("workload") != "generated" or (args.get("dep_packages"), args.get("types")) == (
            workload.DEP_PACKAGES, workload.FUNCS_PER_PACKAGE):
        return ""
    return f" ({args['deps']} modules of {args['dep_packages']} packages of {args['types']} types)"


def goals_chart(runs, path):
    """Every scenario with a goal in `runs` (the JSON of several bench/compare runs, later runs
    replacing a scenario measured twice): gofrontend's median as a fraction of the Dockerfile's,
    green where the goal is met, red where not, and the goal as a tick in the same unit (a goal
    against a floor becomes that floor's time plus what the goal allows, over the Dockerfile's).
    Returns False without matplotlib or anything to draw."""
    rows = {}
    for run in runs:
        suffix = workload_label(run["args"])
        for scenario, goal in run.get("goals", {}).items():
            times = run["times"][scenario]
            if not goal or "gofrontend" not in times or "Dockerfile" not in times:
                continue
            floor = FLOORS.get(run["kinds"][scenario])
            floor_median = statistics.median(times[floor]) if floor in times else None
            rows[scenario + suffix] = against_the_dockerfile(
                goal, statistics.median(times["gofrontend"]), statistics.median(times["Dockerfile"]), floor_median)
    plt = pyplot() if rows else None
    if plt is None:
        return False
    labels = list(rows)
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(labels) + 1.4), dpi=120)
    for y, label in enumerate(labels):
        ours, limit, met = rows[label]
        ax.barh(y, ours, color="grey" if met is None else "tab:green" if met else "tab:red", height=0.6)
        ax.text(ours * 1.04, y, f"{ours:.2f}", va="center", fontsize=7)
        if limit is not None:
            ax.plot([limit, limit], [y - 0.4, y + 0.4], color="black", linewidth=2)
    ax.axvline(1.0, color="tab:blue", linestyle="--", linewidth=1, label="the hand-written Dockerfile")
    ax.plot([], [], color="black", linewidth=2, label="the goal")
    ax.set_xscale("log")
    ax.set_xlim(0.05, 3)
    ticks = [0.05, 0.1, 0.2, 0.5, 1, 2]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("gofrontend's median time as a fraction of the Dockerfile's (log scale)")
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle("gofrontend against its goals, Docker 26.1 (BuildKit 0.13), 2 cores", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return True


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description="Draws every scenario of several bench/compare runs against its goal.")
    ap.add_argument("chart", help="the PNG to write")
    ap.add_argument("results", nargs="+", help="bench/compare's JSON files; a later one replaces a scenario measured twice")
    cli = ap.parse_args()
    loaded = []
    for name in cli.results:
        with open(name) as f:
            loaded.append(json.load(f))
    sys.exit(0 if goals_chart(loaded, cli.chart) else 1)
