"""Rebuilds of a package of many files: examples/microservices with N generated files in its
shared package, built once, then rebuilt unchanged --reps times on Docker 26 (and Docker 20.10
with --docker20), and with --edit rebuilt --reps times after an edit of one generated file.
Prints the wall time and the frontend's phases (its `gofrontend: phase` lines in the daemon
log), median and spread. Run through `bench/large-package`."""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ENV = os.environ
PHASE = re.compile(r"gofrontend: phase (\S+) (\d+) ms")


def generate(root, files):
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(os.path.join(REPO, "examples", "microservices"), root)
    package = os.path.join(root, "internal", "greeting")
    for i in range(files):
        with open(os.path.join(package, f"gen_{i}.go"), "w") as out:
            out.write(f"package greeting\n\n// Generated{i} is one of many.\nconst Generated{i} = {i}\n")


def edit(root, label):
    with open(os.path.join(root, "internal", "greeting", "gen_0.go"), "w") as out:
        out.write(f"package greeting\n\n// Generated0 is edited ({label}).\nconst Generated0 = 0\n")


def build(engine, root, image):
    host, client, log = engine
    args = [
        client, "build", "--network=host", "-f", os.path.join(root, "Gofile"),
        "--target", "api", "-t", "gofrontend-bench/large:api",
        "--build-arg", f"BUILDKIT_SYNTAX={image}",
        "--build-arg", f"GOFRONTEND_BASE_IMAGE={ENV['GOFRONTEND_DISTROLESS_IMAGE']}",
        root,
    ]
    if engine[0] == ENV["GOFRONTEND_DOCKER26"]:
        args[1:2] = ["buildx", "build"]
    offset = os.path.getsize(log)
    started = time.monotonic()
    out = subprocess.run(args, env={**ENV, "DOCKER_HOST": host, "DOCKER_BUILDKIT": "1"},
                         capture_output=True, text=True)
    seconds = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"build failed:\n{out.stderr[-3000:]}")
    time.sleep(0.5)  # the daemon writes the frontend's stderr a moment later
    with open(log, errors="replace") as text:
        text.seek(offset)
        phases = {name: int(ms) for name, ms in PHASE.findall(text.read())}
    return seconds, phases


def summary(values):
    return f"{statistics.median(values):8.2f} {min(values):6.2f}-{max(values):<6.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=5000, help="generated files in the package (default 5000)")
    ap.add_argument("--reps", type=int, default=10, help="no-op rebuilds (default 10)")
    ap.add_argument("--docker20", action="store_true", help="also on Docker 20.10 (BuildKit v0.8)")
    ap.add_argument("--edit", action="store_true",
                    help="also rebuild after an edit of one file (new content each repetition)")
    ap.add_argument("--work", default="/tmp/gofrontend-bench-large")
    ap.add_argument("--images", default=ENV["GOFRONTEND_IMAGE"],
                    help="frontend images to compare, comma-separated, repetitions interleaved "
                    "(default $GOFRONTEND_IMAGE)")
    args = ap.parse_args()
    logs = os.path.join(ENV["GOFRONTEND_STATE"], "logs")
    engines = {"Docker 26.1": (ENV["GOFRONTEND_DOCKER26"], ENV["GOFRONTEND_DOCKER26_CLIENT"],
                               os.path.join(logs, "docker26.log"))}
    if args.docker20:
        engines["Docker 20.10"] = (ENV["GOFRONTEND_DOCKER20"], ENV["GOFRONTEND_DOCKER20_CLIENT"],
                                   os.path.join(logs, "docker20.log"))
    generate(args.work, args.files)
    scenarios = ["no-op"] + (["edit"] if args.edit else [])
    print(f"rebuilds of a {args.files + 1}-file package ({', '.join(scenarios)}), "
          f"{args.reps} repetitions: median, min-max (seconds)")
    images = args.images.split(",")
    run = time.time_ns()
    for name, engine in engines.items():
        runs = {(scenario, image): [] for scenario in scenarios for image in images}
        for image in images:
            build(engine, args.work, image)
        # Every no-op first: an edit leaves content the other images have not built.
        for scenario in scenarios:
            for rep in range(args.reps):
                for image in images:
                    if scenario == "edit":
                        edit(args.work, f"{run} {rep} {image}")
                    runs[scenario, image].append(build(engine, args.work, image))
        for (scenario, image), results in runs.items():
            print(f"\n{name}, {scenario}, {image}")
            print(f"  {'wall':<18}{summary([s for s, _ in results])}")
            for phase in results[0][1]:
                values = [p.get(phase, 0) / 1000 for _, p in results]
                print(f"  {phase:<18}{summary(values)}")

if __name__ == "__main__":
    main()
