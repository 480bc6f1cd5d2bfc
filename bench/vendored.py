"""A large vendored Go module, generated from a seed: a daemon and its CLI (`cmd/daemon`,
`cmd/cli`) over several hundred packages, about 10,000 .go files by default, the shape of a
big project that vendors its dependencies. Most packages are shared by both services:
`internal/...` packages in layers, each importing packages of lower layers, over third-party
modules copied under `vendor/` and listed in `vendor/modules.txt` (go.mod requires them; no
go.sum is needed with -mod=vendor). Next to it: the Gofile (the two services, nothing else;
gofrontend finds vendor/ itself) and the hand-written Dockerfile for vendored code.

Every file is small (one type, two functions) so that 10,000 of them compile in minutes on
2 cores. The same seed and sizes always give the same module.

As a script it writes the module to DIR and with --check builds it offline in the golang
image (`go build -mod=vendor ./...`):
    python3 bench/vendored.py DIR [--seed N] [--files N] [--packages N] [--check]"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import workload  # noqa: E402  (write, gofile)

MODULE = "example.com/stack"
SERVICES = ["daemon", "cli"]
# The share of packages that are vendored third-party code, and of the main module's
# packages that only one service imports.
VENDORED_SHARE = 0.25
DAEMON_ONLY = 0.12
CLI_ONLY = 0.06
ORGS = ["acme", "globex", "initech", "hooli", "umbrella", "stark", "wonka", "tyrell", "cyberdyne", "soylent"]
REPOS = ["log", "yaml", "errors", "uuid", "term", "units", "metrics", "proto", "retry", "color", "semver", "flags"]
AREAS = ["base", "util", "store", "net", "runtime", "service", "api", "server"]
WORDS = ["codec", "pool", "wire", "text", "format", "parse", "cache", "index", "queue", "watch", "auth",
         "route", "event", "trace", "config", "plugin", "volume", "image", "layer", "mount", "health", "stats"]


class Package:
    """One package: where it is, which services import it, what it imports, how many files."""

    def __init__(self, path, layer, owner, module=None):
        self.path = path  # the import path
        self.layer = layer  # -1 for vendored packages, 0 and up in the main module
        self.owner = owner  # "shared", or the one service ("daemon", "cli") that imports it
        self.module = module  # (path, version) of its vendored module, None in the main module
        self.imports = []
        self.files = 1

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]

    @property
    def dir(self):
        return f"vendor/{self.path}" if self.module else self.path[len(MODULE) + 1:]


def vendored_packages(rng, count, modules):
    """`count` packages in `modules` third-party modules (each its root package and
    subpackages), each importing up to two packages listed before it."""
    pairs = rng.sample([(org, repo) for org in ORGS for repo in REPOS], modules)
    paths = sorted(f"github.com/{org}/{repo}" for org, repo in pairs)
    mods = [(path, f"v{rng.randint(0, 1)}.{rng.randint(1, 30)}.{rng.randint(0, 9)}") for path in paths]
    sizes = [1] * modules
    for m in rng.choices(range(modules), k=count - modules):
        sizes[m] += 1
    packages = []
    for mod, size in zip(mods, sizes):
        packages.append(Package(mod[0], -1, "shared", mod))
        for j in range(1, size):
            packages.append(Package(f"{mod[0]}/{rng.choice(WORDS)}{j}", -1, "shared", mod))
    for i, p in enumerate(packages):
        p.imports = rng.sample(packages[:i], min(i, rng.randint(0, 2)))
    return packages


def internal_packages(rng, count, layers):
    """`count` packages of the main module in `layers` layers; the first of each layer is
    shared, the others shared or one service's own."""
    packages = []
    for i in range(count):
        layer = i * layers // count
        first = not packages or packages[-1].layer != layer
        draw = rng.random()
        owner = "shared" if first or draw >= DAEMON_ONLY + CLI_ONLY else "daemon" if draw < DAEMON_ONLY else "cli"
        area = AREAS[layer % len(AREAS)] + (str(layer // len(AREAS)) if layer >= len(AREAS) else "")
        prefix = "internal" if owner == "shared" else f"internal/{owner}"
        packages.append(Package(f"{MODULE}/{prefix}/{area}/{rng.choice(WORDS)}{i}", layer, owner))
    return packages


def may_import(importer, imported):
    return imported.owner == "shared" or imported.owner == importer.owner


def link(rng, vendored, internal):
    """Random imports, always from lower layers: layer 0 imports vendored packages, a higher
    layer one package of the layer below, up to two of any lower layer and sometimes a
    vendored one. So the graph is a DAG with the layers' depth."""
    for p in internal:
        lower = [q for q in internal if q.layer < p.layer and may_import(p, q)]
        below = [q for q in lower if q.layer == p.layer - 1]
        if p.layer == 0:
            p.imports = rng.sample(vendored, min(len(vendored), rng.randint(1, 2)))
            continue
        chosen = [rng.choice(below)] if below else []
        chosen += rng.sample(lower, min(len(lower), rng.randint(0, 2)))
        if rng.random() < 0.3:
            chosen.append(rng.choice(vendored))
        p.imports = list(dict.fromkeys(chosen))


def connect(rng, vendored, internal):
    """Makes every package reachable from the services that own it, and returns what each
    main package imports. A shared package needs a shared importer (or both mains), a
    service's own package an importer of that service (or its main); one is added from the
    layer above where the random imports left none, and the mains take the rest."""
    mains = {s: [] for s in SERVICES}
    importers = {id(p): [] for p in vendored + internal}
    for p in internal:
        for q in p.imports:
            importers[id(q)].append(p)
    lower_half = [q for q in internal if q.owner == "shared" and q.layer <= internal[-1].layer // 2]
    for p in vendored:
        if not any(q.owner == "shared" for q in importers[id(p)]):
            rng.choice(lower_half).imports.append(p)
    for p in internal:
        wanted = lambda q: q.owner == p.owner  # noqa: E731
        if any(wanted(q) for q in importers[id(p)]):
            continue
        above = [q for q in internal if q.layer == p.layer + 1 and wanted(q)]
        if above:
            rng.choice(above).imports.append(p)
        else:
            for service in SERVICES if p.owner == "shared" else [p.owner]:
                mains[service].append(p)
    return mains


def spread_files(rng, packages, total):
    """`total` files over the packages: one each, the rest by a random weight per package, so
    some packages are large and most are small."""
    weights = [rng.uniform(0.2, 3.0) for _ in packages]
    for i in rng.choices(range(len(packages)), weights=weights, k=total - len(packages)):
        packages[i].files += 1


ITEM_FMT = """
// Item{i} is one generated record of {name}.
type Item{i} struct {{
	ID   int
	Name string
	Tags []string
}}

// NewItem{i} makes the record for n.
func NewItem{i}(n int) Item{i} {{
	return Item{i}{{ID: n*{a} + {b}, Name: "{name}-{i}", Tags: []string{{"t{a}", "u{b}"}}}}
}}

// String describes the record.
func (r Item{i}) String() string {{
	return fmt.Sprintf("%d/%s/%s", r.ID, r.Name, strings.Join(r.Tags, ","))
}}
"""
ITEM_SORT = ITEM_FMT.replace(
    'return fmt.Sprintf("%d/%s/%s", r.ID, r.Name, strings.Join(r.Tags, ","))',
    'tags := append([]string(nil), r.Tags...)\n\tsort.Strings(tags)\n\treturn strconv.Itoa(r.ID) + "/" + r.Name + "/" + tags[0]',
)
# The standard library packages each kind of item uses.
ITEMS = [(ITEM_FMT, ['"fmt"', '"strings"']), (ITEM_SORT, ['"sort"', '"strconv"'])]


def go_file(p, i, rng):
    """File i of package p: one record type and its functions; file 0 also has the package's
    doc, its imports of other packages and Value, which uses each of them."""
    template, imports = ITEMS[rng.randrange(len(ITEMS))]
    head = ""
    if i == 0:
        head = f"// Package {p.name} is generated benchmark code (layer {p.layer}, {p.owner}).\n"
        imports = imports + [f'd{k} "{q.path}"' for k, q in enumerate(p.imports)]
    text = head + f"package {p.name}\n\nimport (\n\t" + "\n\t".join(imports) + "\n)\n"
    if i == 0:
        uses = "".join(f" + d{k}.Value" for k in range(len(p.imports)))
        text += f"\n// Value folds the package's imports into one number, once.\nvar Value = len(NewItem0(1).String()){uses}\n"
    return text + template.format(i=i, name=p.name, a=rng.randint(2, 99), b=rng.randint(0, 999))


MAIN = {
    "daemon": """// Command daemon is the generated benchmark daemon.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
{imports}
)

// edit changes with every edit the benchmark makes.
const edit = "{nonce}"

func main() {{
	total := 0{uses}
	if len(os.Args) > 1 && os.Args[1] == "serve" {{
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {{ json.NewEncoder(w).Encode(total) }})
		_ = http.ListenAndServe(":8080", nil)
		return
	}}
	out, _ := json.Marshal(map[string]any{{"edit": edit, "total": total}})
	fmt.Println(string(out))
}}
""",
    "cli": """// Command cli is the generated benchmark daemon's command line.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
{imports}
)

// edit changes with every edit the benchmark makes.
const edit = "{nonce}"

func main() {{
	verbose := flag.Bool("v", false, "print the edit too")
	flag.Parse()
	total := 0{uses}
	if *verbose {{
		fmt.Println(edit)
	}}
	out, _ := json.Marshal(map[string]int{{"total": total}})
	fmt.Println(string(out))
}}
""",
}


def main_file(service, imports, nonce):
    return MAIN[service].format(
        imports="".join(f'\tm{k} "{p.path}"\n' for k, p in enumerate(imports)).rstrip("\n"),
        uses="".join(f" + m{k}.Value" for k in range(len(imports))),
        nonce=nonce,
    )


def modules_txt(vendored):
    """`# path version`, `## explicit; go 1.21` and the module's packages, for each module."""
    out = []
    for mod in sorted({p.module for p in vendored}):
        out.append(f"# {mod[0]} {mod[1]}\n## explicit; go 1.21\n")
        out += [f"{p.path}\n" for p in sorted(vendored, key=lambda p: p.path) if p.module == mod]
    return "".join(out)


def go_mod(vendored):
    requires = "".join(f"\t{path} {version}\n" for path, version in sorted({p.module for p in vendored}))
    return f"module {MODULE}\n\ngo 1.24\n\nrequire (\n{requires})\n"


DOCKERFILE_HEAD = """\
# The hand-written best-practice Dockerfile for a vendored module, as a Go team would write it:
# no download stage (the modules are in vendor/), one stage per service running
# `go build -mod=vendor` with the source bind-mounted and a GOCACHE cache mount, a distroless
# final copy each.
ARG BASE=gcr.io/distroless/static-debian12:nonroot

FROM golang:1.24 AS toolchain
ENV GOTOOLCHAIN=local CGO_ENABLED=0
WORKDIR /src
"""

DOCKERFILE_SERVICE = """
FROM toolchain AS build-{s}
RUN --mount=type=bind,target=. \\
    --mount=type=cache,target=/root/.cache/go-build \\
    go build -mod=vendor -trimpath -o /out/{s} ./cmd/{s}

FROM ${{BASE}} AS {s}
COPY --from=build-{s} /out/{s} /usr/local/bin/{s}
ENTRYPOINT ["/usr/local/bin/{s}"]
"""

# The cold floor: both services in one `go build`, so one action graph keeps every core busy.
DOCKERFILE_FLOOR = """
FROM toolchain AS build-floor
RUN --mount=type=bind,target=. \\
    --mount=type=cache,target=/root/.cache/go-build \\
    go build -mod=vendor -trimpath -o /out/ ./cmd/...

FROM ${BASE} AS floor
COPY --from=build-floor /out/ /usr/local/bin/
"""


def dockerfile():
    text = DOCKERFILE_HEAD + "".join(DOCKERFILE_SERVICE.format(s=s) for s in SERVICES)
    text += "\n# Both binaries in one image, as gofrontend builds without --target.\nFROM ${BASE} AS all\n"
    text += "".join(f"COPY --from=build-{s} /out/{s} /usr/local/bin/{s}\n" for s in SERVICES)
    return text + DOCKERFILE_FLOOR


class Workload:
    """The generated module in a directory, as compare.py uses a workload: its services, a
    name for the tables, and an edit (the daemon's main file, new content each time)."""

    edit_label = "edit cmd/daemon/main.go"
    tests = False

    def __init__(self, root, seed=1, files=10_000, packages=None, vendor_modules=8, layers=6):
        packages = packages or max(10, files // 25)
        if files < packages + len(SERVICES):
            raise ValueError(f"{files} files cannot fill {packages} packages and {len(SERVICES)} mains")
        rng = random.Random(seed)
        n_vendored = max(1, round(packages * VENDORED_SHARE))
        n_internal = max(1, packages - n_vendored)
        self.vendored = vendored_packages(rng, n_vendored, min(vendor_modules, n_vendored, len(ORGS) * len(REPOS)))
        self.internal = internal_packages(rng, n_internal, min(layers, n_internal))
        link(rng, self.vendored, self.internal)
        self.mains = connect(rng, self.vendored, self.internal)
        spread_files(rng, self.vendored + self.internal, files - len(SERVICES))
        self.root = root
        self.services = SERVICES
        self.name = f"vendored, {files} files"
        self.seed = seed
        self.write(rng)

    def write(self, rng):
        shutil.rmtree(self.root, ignore_errors=True)
        for p in self.vendored + self.internal:
            for i in range(p.files):
                file = f"{p.name}.go" if i == 0 else f"{p.name}_{i}.go"
                workload.write(self.root, f"{p.dir}/{file}", go_file(p, i, rng))
        for service in SERVICES:
            workload.write(self.root, f"cmd/{service}/main.go", main_file(service, self.mains[service], self.seed))
        workload.write(self.root, "vendor/modules.txt", modules_txt(self.vendored))
        workload.write(self.root, "go.mod", go_mod(self.vendored))
        workload.write(self.root, "Gofile", workload.gofile(SERVICES))
        workload.write(self.root, "Dockerfile", dockerfile())
        workload.write(self.root, ".dockerignore", "Gofile\nDockerfile\n")

    def edit(self, nonce):
        """The daemon's main file, with a new constant."""
        workload.write(self.root, "cmd/daemon/main.go", main_file("daemon", self.mains["daemon"], nonce))

    def summary(self):
        owners = [p.owner for p in self.internal]
        files = sum(p.files for p in self.vendored + self.internal) + len(SERVICES)
        modules = len({p.module for p in self.vendored})
        return (f"{files} .go files in {len(self.vendored) + len(self.internal)} packages: "
                f"{len(self.vendored)} vendored in {modules} modules, {len(self.internal)} in "
                f"{self.internal[-1].layer + 1} layers ({owners.count('shared')} shared, "
                f"{owners.count('daemon')} daemon-only, {owners.count('cli')} cli-only)")


def check(root, image="golang:1.24"):
    """`go build -mod=vendor ./...` in the golang image with no network. The daemon may run
    in a chroot where the host's paths are not, so the module goes in as a tar stream."""
    client = os.environ.get("GOFRONTEND_DOCKER26_CLIENT", "docker")
    env = dict(os.environ)
    env.setdefault("DOCKER_HOST", os.environ.get("GOFRONTEND_DOCKER26", ""))
    script = "mkdir /src && cd /src && tar -x && go version && go build -mod=vendor -o /tmp/out/ ./... && ls /tmp/out"
    tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
    started = time.monotonic()
    out = subprocess.run([client, "run", "-i", "--rm", "--network=none", image, "sh", "-c", script],
                         stdin=tar.stdout, env=env)
    tar.wait()
    print(f"go build -mod=vendor ./...: exit {out.returncode} after {time.monotonic() - started:.1f} s "
          "(one run, cold GOCACHE)")
    return out.returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="where to write the module (replaced)")
    ap.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    ap.add_argument("--files", type=int, default=10_000, help=".go files in all (default 10000)")
    ap.add_argument("--packages", type=int, help="packages in all (default files/25)")
    ap.add_argument("--vendor-modules", type=int, default=8, help="vendored modules (default 8)")
    ap.add_argument("--layers", type=int, default=6, help="layers of internal packages (default 6)")
    ap.add_argument("--check", action="store_true", help="build it offline in the golang image")
    args = ap.parse_args()
    work = Workload(args.dir, args.seed, args.files, args.packages, args.vendor_modules, args.layers)
    print(work.summary())
    if args.check and not check(args.dir):
        sys.exit(1)


if __name__ == "__main__":
    main()
