"""gofrontend against the hand-written best-practice Dockerfile, on the same daemon and the same
workload. Prints a table of medians and spreads, the frontend's phases, writes every repetition
as JSON and a chart of build time against the number of services. Run through `bench/compare`,
which starts the engines and builds the frontend image first.

Workloads:
  generated (default)  bench/workload.py: --services N services over --packages packages each
                       and --deps dependency modules from the loopback proxy (--dep-packages
                       packages of --types record types each); scenarios cold, edit, noop,
                       dependency, ci (cold and edit for every count in --services, the others
                       with --main-services services).
  vendored             bench/vendored.py: a daemon and its CLI over about --files .go files
                       with vendor/ (seeded by --seed); scenarios cold, edit (the daemon's
                       main file), noop.
  tested               the generated workload with --main-services services whose packages
                       have tests: `--target test` against the Dockerfile's `go test ./...`
                       stage; scenarios cold, edit (one package), ci (a fresh clone each
                       repetition: new mtimes, as on a CI runner).

Repetitions: --reps cold builds (each after a prune; the floor, one `go build` of every
service, beside them) and also the dependency and CI scenarios'; --edit-reps edits in a row
after a warm-up build, each a new edit that every variant then builds; --noop-reps no-op
rebuilds. The variants' order rotates every repetition. With GOFRONTEND_NOOP_FRONTEND set to
a frontend image that returns at once, the no-op scenario also builds through it (the no-op
floor).

Full runs (2 cores, nothing else running; rough times):
  bench/compare                                     # 1, 4 and 8 services: about 30 min
  bench/compare --services 1 --main-services 1      # every scenario, one service: about 10 min
  bench/compare --deps 8 --dep-packages 6 --types 24   # heavier dependency modules
  bench/compare --only-ci --deps 8                  # the CI shape alone: about 8 min
  bench/compare --workload vendored                 # 10,000 vendored files: about 15 min
  bench/compare --workload tested                   # the test target: about 10 min"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import report  # noqa: E402
import vendored  # noqa: E402
import workload  # noqa: E402
from report import Results  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ENV = os.environ
STATE = ENV.get("GOFRONTEND_STATE", "/var/lib/gofrontend-local")
SCENARIOS = {
    "generated": ["cold", "edit", "noop", "dependency", "ci"],
    "vendored": ["cold", "edit", "noop"],
    "tested": ["cold", "edit", "ci"],
}


class Variant:
    def __init__(self, name, build_file, cache_ns, extra, target=None, phases=False):
        self.name = name
        self.tag = re.sub(r"[^a-z0-9]+", "-", name.lower())
        self.build_file = build_file
        self.cache_ns = cache_ns
        self.extra = extra
        # The stage a whole build asks for; the Gofile builds every service without one.
        self.target = target
        # Whether its frontend writes `gofrontend: phase` lines to the daemon log.
        self.phases = phases


GOFRONTEND = Variant(
    "gofrontend",
    "Gofile",
    "bench-gofrontend",
    [
        "--build-arg", f"BUILDKIT_SYNTAX={ENV['GOFRONTEND_IMAGE']}",
        "--build-arg", f"GOFRONTEND_BASE_IMAGE={ENV['GOFRONTEND_DISTROLESS_IMAGE']}",
    ],
    phases=True,
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
    phases=True,
)
CI_VARIANTS = [GOFRONTEND, GOFRONTEND_NO_LAYERS, DOCKERFILE]


def noop_floor():
    """The no-op floor: the same Gofile through a frontend image that returns at once, what a
    no-op rebuild through any `# syntax=` frontend costs before the frontend's own work. None
    unless GOFRONTEND_NOOP_FRONTEND names that image."""
    image = ENV.get("GOFRONTEND_NOOP_FRONTEND")
    if not image:
        return None
    return Variant("no-op floor", "Gofile", "bench-noop-floor", [
        "--build-arg", f"BUILDKIT_SYNTAX={image}",
        "--build-arg", f"GOFRONTEND_BASE_IMAGE={ENV['GOFRONTEND_DISTROLESS_IMAGE']}",
    ])


class Engine:
    """A daemon to build on, and its log, where BuildKit puts what frontends write to stderr."""

    def __init__(self, host, log):
        self.host = host
        self.log = log


ENGINE = Engine(ENV["GOFRONTEND_DOCKER26"], os.path.join(STATE, "logs", "docker26.log"))
# The CI shape needs the containerd image store (registry cache export).
CI_ENGINE = Engine(ENV["GOFRONTEND_DOCKER26_CS"], os.path.join(STATE, "logs", "docker26cs.log"))


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


def prune(engine):
    docker(engine.host, "builder", "prune", "-af")


def build(variant, work, engine, target=None, tag_suffix="all", extra=()):
    """One timed `docker buildx build`; returns its run: the seconds and, for gofrontend, the
    phases its frontend wrote to the daemon log during the build."""
    args = [
        "buildx", "build", "--progress=plain", "--network=host",
        "-f", os.path.join(work.root, variant.build_file),
        "--build-arg", f"GOPROXY={ENV['GOFRONTEND_GOPROXY']}",
        "--build-arg", "GOSUMDB=off",
        "--build-arg", f"BUILDKIT_CACHE_MOUNT_NS={variant.cache_ns}",
        "-t", f"gofrontend-bench/{variant.tag}:{tag_suffix}",
        *variant.extra,
        *extra,
    ]
    if target or variant.target:
        args += ["--target", target or variant.target]
    args.append(work.root)
    offset = log_size(engine.log)
    started = time.monotonic()
    docker(engine.host, *args)
    run = {"seconds": round(time.monotonic() - started, 3)}
    if variant.phases:
        run.update(frontend_lines(engine.log, offset))
    return run


PHASE = re.compile(r"gofrontend: phase (\S+) (\d+) ms(?: \((.*)\))?$", re.M)
SOLVE_SENT = re.compile(r"gofrontend: solve sent (\d+) ms after start")


def log_size(log):
    return os.path.getsize(log) if os.path.exists(log) else 0


def frontend_lines(log, offset, wait=5.0):
    """The frontend's lines of one build, from the daemon log's bytes after `offset`: its
    phases ([name, ms, detail]) and when it sent its Solve. The frontend writes its phases as
    it returns, and the daemon logs them a moment after the build ends: read until they are
    there and the log stops growing (at most `wait` seconds). A build someone else runs on
    the daemon meanwhile would mix its lines in; then solve_sent_ms has more than one."""
    deadline = time.monotonic() + wait
    text, seen = "", None
    while time.monotonic() < deadline:
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                f.seek(offset if offset <= log_size(log) else 0)
                text = f.read()
        if PHASE.search(text) and len(text) == seen:
            break
        seen = len(text)
        time.sleep(0.1)
    return {
        "phases": [[name, int(ms), detail] for name, ms, detail in PHASE.findall(text)],
        "solve_sent_ms": [int(ms) for ms in SOLVE_SENT.findall(text)],
    }


def ordered(rep, variants):
    """Rotate which variant goes first, so none always meets a daemon another warmed."""
    shift = rep % len(variants)
    return variants[shift:] + variants[:shift]


def warm(work, engine, variants, target=None):
    """One untimed build of each variant, so the timed ones after it start warm. After a cold
    scenario every variant but the last built finds its cache pruned: this is a whole build."""
    for variant in variants:
        run = build(variant, work, engine, target=target)
        print(f"  warm-up, {work.name:<35} {variant.name:<20} {run['seconds']:7.2f} s", file=sys.stderr, flush=True)


def cold(results, work, reps, engine, target=None):
    """Each build after `docker builder prune -af` (layers and cache mounts gone), the floor's
    too, so no variant meets a cache another filled. The floor goes first: then the last cold
    build leaves a variant warm for the edits. A target (the tests) has no floor."""
    for rep in range(reps):
        for variant in ([] if target else [FLOOR]) + ordered(rep, VARIANTS):
            prune(engine)
            results.add(work, "cold", variant, build(variant, work, engine, target=target))


def edit(results, work, reps, engine, target=None):
    """Warm rebuilds after an edit, `reps` in a row: each repetition makes a new edit and every
    variant builds it, in rotating order, so each variant's previous build is its own build of
    the previous edit (or its warm-up)."""
    warm(work, engine, VARIANTS, target)
    for rep in range(reps):
        work.edit(time.time_ns())
        for variant in ordered(rep, VARIANTS):
            results.add(work, "edit", variant, build(variant, work, engine, target=target))


def noop(results, work, reps, engine, variants):
    """Rebuilds with nothing changed, after a warm-up; the no-op floor among the variants
    when GOFRONTEND_NOOP_FRONTEND is set."""
    warm(work, engine, variants)
    for rep in range(reps):
        for variant in ordered(rep, variants):
            results.add(work, "noop", variant, build(variant, work, engine))


def add_dependency(results, work, reps, engine):
    """Each repetition requires one more module in go.mod/go.sum, imported by the first service."""
    warm(work, engine, VARIANTS)
    for rep in range(reps):
        work.add_dependency()
        for variant in ordered(rep, VARIANTS):
            results.add(work, "dependency", variant, build(variant, work, engine))


class Clone:
    """A fresh clone of a workload, as a CI runner checks it out: the same files, every mtime
    new (Go's own test cache keys the files tests open by mtime)."""

    def __init__(self, work):
        self.root = work.root + "-clone"
        self.name = work.name
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(work.root, self.root, copy_function=shutil.copy)


def ci_shape(results, work, reps, engine, variants=CI_VARIANTS, target=None, fresh_clone=False):
    """A fresh builder that imports the registry cache another build exported (mode=max),
    with `fresh_clone` on a fresh clone of the edited workload each repetition. Returns each
    variant's cache size in the registry, in bytes."""
    registry = ENV.get("GOFRONTEND_REGISTRY", "localhost:5000")
    suffix = f"-{target}" if target else ""
    refs = {v.name: f"{registry}/gofrontend-bench-cache:{v.tag}{suffix}" for v in variants}
    sizes = {}
    for variant in variants:
        prune(engine)
        # As CI builds its main branch: importing the cache it exported last time.
        build(variant, work, engine, target=target,
              extra=["--cache-to", f"type=registry,ref={refs[variant.name]},mode=max",
                     "--cache-from", f"type=registry,ref={refs[variant.name]}"])
        sizes[variant.name] = cache_size(registry, "gofrontend-bench-cache", f"{variant.tag}{suffix}")
    for rep in range(reps):
        work.edit(time.time_ns())
        checkout = Clone(work) if fresh_clone else work
        for variant in ordered(rep, variants):
            prune(engine)
            run = build(variant, checkout, engine, target=target,
                        extra=["--cache-from", f"type=registry,ref={refs[variant.name]}"])
            results.add(work, "ci", variant, run)
    return sizes


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


def image_sizes(work, engine):
    """The first service's image from each variant, and the frontend image, in bytes."""
    service = work.services[0]
    sizes = {}
    for variant in VARIANTS:
        build(variant, work, engine, target=service, tag_suffix=service)
        sizes[f"{variant.name} {service} image"] = image_size(engine, f"gofrontend-bench/{variant.tag}:{service}")
    sizes["frontend image"] = image_size(engine, ENV["GOFRONTEND_IMAGE"])
    return sizes


def image_size(engine, tag):
    out = docker(engine.host, "image", "inspect", "--format", "{{.Size}}", tag)
    return int(out.stdout.strip())


def run_generated(args, scenarios, results):
    """The generated workload's scenarios. Returns (the workloads cold and edit built, a
    workload every variant has built warm for the image sizes or None, registry cache sizes)."""
    shape = workload.Shape(args.types, args.dep_packages)
    sums = workload.publish_modules(os.path.join(STATE, "goproxy", "root"), args.deps, args.reps, shape)

    def make(directory, services):
        return workload.Workload(os.path.join(args.work, directory), services, args.packages, args.deps, sums, shape)

    works = {}
    for n in args.counts if {"cold", "edit"} & scenarios else []:
        works[n] = make(f"n{n}", n)
        if "cold" in scenarios:
            cold(results, works[n], args.reps, ENGINE)
        if "edit" in scenarios:
            edit(results, works[n], args.edit_reps, ENGINE)
    sized = works[args.counts[-1]] if "edit" in scenarios else None
    if {"noop", "dependency"} & scenarios:
        sized = works.get(args.main_services) or make(f"n{args.main_services}", args.main_services)
        if "noop" in scenarios:
            noop(results, sized, args.noop_reps, ENGINE, noop_variants())
        if "dependency" in scenarios:
            add_dependency(results, sized, args.reps, ENGINE)
    cache_sizes = {}
    if "ci" in scenarios:
        cache_sizes = ci_shape(results, make("ci", args.main_services), args.reps, CI_ENGINE)
    return list(works.values()), sized, cache_sizes


def run_vendored(args, scenarios, results):
    work = vendored.Workload(os.path.join(args.work, "vendored"), args.seed, args.files,
                             args.vendored_packages, args.vendor_modules)
    print(f"vendored workload (seed {args.seed}): {work.summary()}", file=sys.stderr)
    if "cold" in scenarios:
        cold(results, work, args.reps, ENGINE)
    if "edit" in scenarios:
        edit(results, work, args.edit_reps, ENGINE)
    if "noop" in scenarios:
        noop(results, work, args.noop_reps, ENGINE, noop_variants())


def run_tested(args, scenarios, results):
    """The test target against the Dockerfile's test stage, on the generated workload with
    tests. Returns the registry cache sizes of the CI shape."""
    shape = workload.Shape(args.types, args.dep_packages)
    sums = workload.publish_modules(os.path.join(STATE, "goproxy", "root"), args.deps, 0, shape)

    def make(directory):
        return workload.Workload(os.path.join(args.work, directory), args.main_services, args.packages,
                                 args.deps, sums, shape, tests=True)

    work = make("tested")
    if "cold" in scenarios:
        cold(results, work, args.reps, ENGINE, target="test")
    if "edit" in scenarios:
        edit(results, work, args.edit_reps, ENGINE, target="test")
    if "ci" in scenarios:
        return ci_shape(results, make("tested-ci"), args.reps, CI_ENGINE, VARIANTS, "test", fresh_clone=True)
    return {}


def noop_variants():
    floor = noop_floor()
    return VARIANTS + ([floor] if floor else [])


NOOP_FLOOR_SKIPPED = ("no-op floor: skipped (GOFRONTEND_NOOP_FRONTEND is not set; set it to a frontend image "
                      "that returns at once to measure gofrontend's no-op against it)")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", choices=sorted(SCENARIOS), default="generated", help="what to build (default generated)")
    ap.add_argument("--scenarios", help="comma-separated, of cold,edit,noop,dependency,ci "
                    "(default: all the workload has)")
    ap.add_argument("--reps", type=int, default=3, help="cold builds, and repetitions of the dependency and CI scenarios (default 3)")
    ap.add_argument("--edit-reps", type=int, default=10, help="edits in a row, each built by every variant (default 10)")
    ap.add_argument("--noop-reps", type=int, default=10, help="no-op rebuilds of every variant (default 10)")
    ap.add_argument("--work", default="/tmp/gofrontend-bench", help="where the workload is generated")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results"), help="JSON and chart directory")
    ap.add_argument("--only-ci", action="store_true", help="only the CI shape (a fresh builder importing "
                    "the registry cache), written to ci.json")
    gen = ap.add_argument_group("generated workload")
    gen.add_argument("--services", default="1,4,8", help="service counts cold and edit scale over (default 1,4,8)")
    gen.add_argument("--main-services", type=int, default=4, help="services for the no-op, dependency and CI scenarios (default 4)")
    gen.add_argument("--packages", type=int, default=3, help="packages per service (default 3)")
    gen.add_argument("--deps", type=int, default=4, help="dependency modules (default 4)")
    gen.add_argument("--dep-packages", type=int, default=workload.DEP_PACKAGES,
                     help=f"packages per dependency module (default {workload.DEP_PACKAGES})")
    gen.add_argument("--types", type=int, default=workload.FUNCS_PER_PACKAGE,
                     help=f"record types per generated package, the services' and the dependencies' (default {workload.FUNCS_PER_PACKAGE})")
    ven = ap.add_argument_group("vendored workload (--workload vendored)")
    ven.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    ven.add_argument("--files", type=int, default=10_000, help=".go files in all (default 10000)")
    ven.add_argument("--vendored-packages", type=int, help="packages in all, vendored ones included (default files/25)")
    ven.add_argument("--vendor-modules", type=int, default=8, help="third-party modules under vendor/ (default 8)")
    args = ap.parse_args()
    args.counts = [int(n) for n in args.services.split(",")]
    known = SCENARIOS[args.workload]
    scenarios = ["ci"] if args.only_ci else args.scenarios.split(",") if args.scenarios else known
    unknown = [s for s in scenarios if s not in known]
    if unknown:
        ap.error(f"the {args.workload} workload has no scenario {', '.join(unknown)} (it has {','.join(known)})")
    if args.types < 1 or args.dep_packages < 0 or min(args.reps, args.edit_reps, args.noop_reps) < 1:
        ap.error("--types and every --*reps must be at least 1, --dep-packages at least 0")
    return args, set(scenarios)


def main():
    args, scenarios = parse_args()
    results = Results()
    if args.workload == "generated":
        print(f"workload: services {args.counts} (main {args.main_services}), {args.packages} packages each, "
              f"{args.deps} dependency modules of {args.dep_packages} packages, {args.types} types per package; "
              f"scenarios {','.join(sorted(scenarios))}; {args.reps} cold, {args.edit_reps} edit, "
              f"{args.noop_reps} no-op repetitions", file=sys.stderr)
    if "noop" in scenarios and not noop_floor():
        print(NOOP_FLOOR_SKIPPED, file=sys.stderr)
    works, sized, cache_sizes, sizes = [], None, {}, {}
    if args.workload == "vendored":
        run_vendored(args, scenarios, results)
    elif args.workload == "tested":
        cache_sizes = run_tested(args, scenarios, results)
    else:
        works, sized, cache_sizes = run_generated(args, scenarios, results)
    if sized:
        sizes = image_sizes(sized, ENGINE)

    os.makedirs(args.out, exist_ok=True)
    name = "ci" if args.only_ci else args.workload if args.workload != "generated" else "latest"
    out = os.path.join(args.out, f"{name}.json")
    with open(out, "w") as f:
        json.dump({"args": vars(args), **results.json(), "sizes": sizes, "cache_sizes": cache_sizes}, f, indent=1)
    chart = os.path.join(args.out, "services.png")
    drawn = args.workload == "generated" and not args.only_ci and report.chart(results, works, VARIANTS, chart)

    print(report.table(results))
    print()
    print(report.phase_table(results))
    if cache_sizes:
        print()
        ci_variants = VARIANTS if args.workload == "tested" else CI_VARIANTS
        print(report.ci_details(results, ci_variants, cache_sizes))
    print()
    for what, size in sizes.items():
        print(f"{what}: {size / 1e6:.2f} MB")
    solves = report.solve_summary(results)
    if solves:
        print(solves)
    for note in report.log_notes(results):
        print(f"note: {note}")
    if "noop" in scenarios and not noop_floor():
        print(NOOP_FLOOR_SKIPPED)
    print(f"\nevery repetition: {out}" + (f"; chart: {chart}" if drawn else ""))


if __name__ == "__main__":
    main()
