"""gofrontend against the hand-written best-practice Dockerfile, on the same daemon and the same
generated workload. Prints a table of medians and ratios, writes the raw times as JSON and a
chart of build time against the number of services. Run through `bench/compare`, which starts
the engines and builds the frontend image first."""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import workload  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ENV = os.environ


class Variant:
    def __init__(self, name, build_file, cache_ns, extra, target=None):
        self.name = name
        self.build_file = build_file
        self.cache_ns = cache_ns
        self.extra = extra
        # The stage a whole build asks for; the Gofile builds every service without one.
        self.target = target


GOFRONTEND = Variant(
    "gofrontend",
    "Gofile",
    "bench-gofrontend",
    [
        "--build-arg", f"BUILDKIT_SYNTAX={ENV['GOFRONTEND_IMAGE']}",
        "--build-arg", f"GOFRONTEND_BASE_IMAGE={ENV['GOFRONTEND_DISTROLESS_IMAGE']}",
    ],
)
DOCKERFILE = Variant(
    "Dockerfile",
    "Dockerfile",
    "bench-dockerfile",
    ["--build-arg", f"BASE={ENV['GOFRONTEND_DISTROLESS_IMAGE']}"],
    target="all",
)
# The cold floor: the same Dockerfile's one `go build` of every service.
FLOOR = Variant("one-go-build", "Dockerfile", "bench-floor", DOCKERFILE.extra, target="floor")
VARIANTS = [GOFRONTEND, DOCKERFILE]
# The CI shape also measures gofrontend with its compiled packages kept out of layers.
GOFRONTEND_NO_LAYERS = Variant(
    "gofrontend-nolayers",
    "Gofile",
    "bench-gofrontend-nolayers",
    [*GOFRONTEND.extra, "--build-arg", "GOFRONTEND_CACHE_LAYERS=false"],
)
CI_VARIANTS = [GOFRONTEND, GOFRONTEND_NO_LAYERS, DOCKERFILE]


def docker(host, *args, check=True):
    out = subprocess.run(
        [ENV["GOFRONTEND_DOCKER26_CLIENT"], *args],
        env={**ENV, "DOCKER_HOST": host},
        capture_output=True,
        text=True,
    )
    if check and out.returncode != 0:
        sys.exit(f"docker {' '.join(args)} failed:\n{out.stdout}\n{out.stderr[-4000:]}")
    return out


def prune(host):
    docker(host, "builder", "prune", "-af")


def build(variant, work, host, target=None, tag_suffix="all", extra=()):
    """One timed `docker buildx build`; returns (seconds, progress)."""
    args = [
        "buildx", "build", "--progress=plain", "--network=host",
        "-f", os.path.join(work.root, variant.build_file),
        "--build-arg", f"GOPROXY={ENV['GOFRONTEND_GOPROXY']}",
        "--build-arg", "GOSUMDB=off",
        "--build-arg", f"BUILDKIT_CACHE_MOUNT_NS={variant.cache_ns}",
        "-t", f"gofrontend-bench/{variant.name.lower()}:{tag_suffix}",
        *variant.extra,
        *extra,
    ]
    if target or variant.target:
        args += ["--target", target or variant.target]
    args.append(work.root)
    started = time.monotonic()
    out = docker(host, *args)
    return time.monotonic() - started, out.stderr


def ordered(rep, variants=VARIANTS):
    """Rotate which variant goes first, so none always meets a daemon another warmed."""
    shift = rep % len(variants)
    return variants[shift:] + variants[:shift]


class Results:
    def __init__(self):
        self.times = {}

    def add(self, scenario, variant, seconds):
        self.times.setdefault(scenario, {}).setdefault(variant.name, []).append(round(seconds, 3))
        print(f"  {scenario:<34} {variant.name:<11} {seconds:7.2f} s", file=sys.stderr, flush=True)

    def median(self, scenario, variant):
        return statistics.median(self.times[scenario][variant.name])


def cold_and_edit(results, work, reps, host):
    """Each variant's edit rebuild follows its own cold build: the next variant's cold build
    prunes the daemon, which would turn the other's edit rebuild into a cold one."""
    n = len(work.services)
    for rep in range(reps):
        for variant in ordered(rep):
            prune(host)
            seconds, _ = build(variant, work, host)
            results.add(f"cold, {n} services", variant, seconds)
            work.edit(time.time_ns())
            seconds, _ = build(variant, work, host)
            results.add(f"edit one .go file, {n} services", variant, seconds)
        prune(host)
        seconds, _ = build(FLOOR, work, host)
        results.add(f"cold, {n} services", FLOOR, seconds)


def noop(results, work, reps, host):
    for variant in VARIANTS:
        build(variant, work, host)
    for rep in range(reps):
        for variant in ordered(rep):
            seconds, progress = build(variant, work, host)
            results.add("no-op rebuild", variant, seconds)


def add_dependency(results, work, reps, host):
    for rep in range(reps):
        work.add_dependency()
        for variant in ordered(rep):
            seconds, _ = build(variant, work, host)
            results.add("dependency added to go.mod", variant, seconds)


def ci_shape(results, work, reps, host):
    """A fresh builder that imports the registry cache another build exported (mode=max).
    Returns each variant's cache size in the registry, in bytes."""
    registry = ENV.get("GOFRONTEND_REGISTRY", "localhost:5000")
    refs = {v.name: f"{registry}/gofrontend-bench-cache:{v.name.lower()}" for v in CI_VARIANTS}
    sizes = {}
    for variant in CI_VARIANTS:
        prune(host)
        build(variant, work, host, extra=["--cache-to", f"type=registry,ref={refs[variant.name]},mode=max"])
        sizes[variant.name] = cache_size(registry, "gofrontend-bench-cache", variant.name.lower())
    for rep in range(reps):
        work.edit(time.time_ns())
        for variant in ordered(rep, CI_VARIANTS):
            prune(host)
            seconds, _ = build(variant, work, host, extra=["--cache-from", f"type=registry,ref={refs[variant.name]}"])
            results.add(CI_SCENARIO, variant, seconds)
    return sizes


CI_SCENARIO = "CI: fresh builder + registry cache"


def cache_size(registry, repository, tag):
    """The bytes of every blob a registry cache manifest lists (its layers and its config)."""
    import urllib.request

    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        manifest = json.load(response)
    blobs = manifest.get("layers", []) + manifest.get("manifests", [])
    return sum(blob["size"] for blob in blobs)


def image_size(host, tag):
    out = docker(host, "image", "inspect", "--format", "{{.Size}}", tag)
    return int(out.stdout.strip())


def solve_times(log_path, offset):
    with open(log_path, errors="replace") as f:
        f.seek(offset)
        text = f.read()
    return [int(ms) for ms in re.findall(r"gofrontend: solve sent (\d+) ms after start", text)]


def table(results):
    rows = ["| scenario | gofrontend (s) | Dockerfile (s) | ratio | goal | met | one `go build` (s), gofrontend's ratio |",
            "|---|---:|---:|---:|---|---|---|"]
    for scenario in results.times:
        ours = results.median(scenario, GOFRONTEND)
        theirs = results.median(scenario, DOCKERFILE)
        floor = ""
        if FLOOR.name in results.times[scenario]:
            floor_seconds = results.median(scenario, FLOOR)
            floor = f"{floor_seconds:.2f}, {ours / floor_seconds:.2f}"
        ratio = ours / theirs
        if scenario == "no-op rebuild":
            goal, met = "at most +0.3 s", ours - theirs <= 0.3
            shown = f"{ratio:.2f} ({ours - theirs:+.2f} s)"
        else:
            limit = 0.8 if scenario.startswith("edit") else 0.2 if scenario == CI_SCENARIO else 1.0
            goal, met = f"at most {limit}", ratio <= limit
            shown = f"{ratio:.2f}"
        rows.append(f"| {scenario} | {ours:.2f} | {theirs:.2f} | {shown} | {goal} | {'yes' if met else 'no'} | {floor} |")
    return "\n".join(rows)


def chart(results, counts, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for ax, kind in zip(axes, ["cold", "edit one .go file"]):
        for variant, style in [(GOFRONTEND, "o-"), (DOCKERFILE, "s--")]:
            ys = [results.median(f"{kind}, {n} services", variant) for n in counts]
            ax.plot(counts, ys, style, label=variant.name if variant is GOFRONTEND else "hand-written Dockerfile")
        ax.set_title(f"{kind} build (median)")
        ax.set_xlabel("services in one build")
        ax.set_ylabel("seconds")
        ax.set_xticks(counts)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("gofrontend vs the hand-written Dockerfile, Docker 26.1 (BuildKit 0.13), 2 cores")
    fig.tight_layout()
    fig.savefig(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every scenario (default 3)")
    ap.add_argument("--services", default="1,4,8", help="service counts to scale over (default 1,4,8)")
    ap.add_argument("--main-services", type=int, default=4, help="services for the other scenarios (default 4)")
    ap.add_argument("--packages", type=int, default=3, help="packages per service (default 3)")
    ap.add_argument("--deps", type=int, default=4, help="dependency modules (default 4)")
    ap.add_argument("--work", default="/tmp/gofrontend-bench", help="where the workload is generated")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results"), help="JSON and chart directory")
    ap.add_argument("--only-ci", action="store_true", help="only the CI shape (a fresh builder importing the registry cache)")
    args = ap.parse_args()
    counts = [int(n) for n in args.services.split(",")]

    host, ci_host = ENV["GOFRONTEND_DOCKER26"], ENV["GOFRONTEND_DOCKER26_CS"]
    state = ENV.get("GOFRONTEND_STATE", "/var/lib/gofrontend-local")
    daemon_log = os.path.join(state, "logs", "docker26.log")
    log_offset = os.path.getsize(daemon_log)
    sums = workload.publish_modules(os.path.join(state, "goproxy", "root"), args.deps, args.reps)
    results = Results()

    print(f"workload: services {counts}, {args.packages} packages each, {args.deps} dependency modules; "
          f"{args.reps} repetitions", file=sys.stderr)
    if args.only_ci:
        ci_only(args, sums, results)
        return
    works = {}
    for n in counts:
        works[n] = workload.Workload(os.path.join(args.work, f"n{n}"), n, args.packages, args.deps, sums)
        cold_and_edit(results, works[n], args.reps, host)
    main_work = works.get(args.main_services) or workload.Workload(
        os.path.join(args.work, f"n{args.main_services}"), args.main_services, args.packages, args.deps, sums)
    noop(results, main_work, args.reps, host)
    add_dependency(results, main_work, args.reps, host)
    ci_work = workload.Workload(
        os.path.join(args.work, "ci"), args.main_services, args.packages, args.deps, sums)
    cache_sizes = ci_shape(results, ci_work, args.reps, ci_host)

    for variant in VARIANTS:
        build(variant, main_work, host, target="svc0", tag_suffix="svc0")
    sizes = {
        "gofrontend svc0 image": image_size(host, "gofrontend-bench/gofrontend:svc0"),
        "Dockerfile svc0 image": image_size(host, "gofrontend-bench/dockerfile:svc0"),
        "frontend image": image_size(host, ENV["GOFRONTEND_IMAGE"]),
    }
    solves = solve_times(daemon_log, log_offset)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"args": vars(args), "times": results.times, "sizes": sizes, "cache_sizes": cache_sizes,
                   "solve_ms": solves}, f, indent=1)
    chart(results, counts, os.path.join(args.out, "services.png"))

    print(table(results))
    print()
    print(ci_details(results, cache_sizes))
    for name, size in sizes.items():
        print(f"{name}: {size / 1e6:.2f} MB")
    if solves:
        print(f"frontend start to Solve: median {statistics.median(solves)} ms, "
              f"max {max(solves)} ms over {len(solves)} builds (from the daemon log)")
    print(f"\nraw times: {os.path.join(args.out, 'latest.json')}; chart: {os.path.join(args.out, 'services.png')}")


def ci_details(results, cache_sizes):
    """The CI shape's times and registry cache sizes for every variant, as a table."""
    rows = ["| CI shape | rebuild (s, median) | registry cache (MB) |", "|---|---:|---:|"]
    for variant in CI_VARIANTS:
        rows.append(f"| {variant.name} | {results.median(CI_SCENARIO, variant):.2f} | "
                    f"{cache_sizes[variant.name] / 1e6:.1f} |")
    return "\n".join(rows)


def ci_only(args, sums, results):
    work = workload.Workload(os.path.join(args.work, "ci"), args.main_services, args.packages, args.deps, sums)
    cache_sizes = ci_shape(results, work, args.reps, ENV["GOFRONTEND_DOCKER26_CS"])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "ci.json"), "w") as f:
        json.dump({"args": vars(args), "times": results.times, "cache_sizes": cache_sizes}, f, indent=1)
    print(table(results))
    print()
    print(ci_details(results, cache_sizes))


if __name__ == "__main__":
    main()
