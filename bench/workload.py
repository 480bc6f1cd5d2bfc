"""The benchmark workload: a generated Go module with N services, packages per service and M
dependency modules served by the loopback module proxy (how heavy each is: a Shape), and, on
the same module, the hand-written best-practice multi-stage Dockerfile next to the Gofile."""

import importlib.util
import os
import shutil

MODULE = "example.com/bench"
# The default shape: record types per generated package, packages per dependency module.
FUNCS_PER_PACKAGE = 12
DEP_PACKAGES = 3

_spec = importlib.util.spec_from_file_location(
    "goproxy_fixtures",
    os.path.join(os.path.dirname(__file__), "..", "scripts", "goproxy-fixtures.py"),
)
goproxy_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(goproxy_fixtures)


def package_code(name, seed, types=FUNCS_PER_PACKAGE):
    """A package with enough ordinary code (types, closures, sorting, formatting) to take
    the compiler a noticeable moment: `types` record types, each with two functions."""
    out = [
        f"// Package {name} is generated benchmark code.\npackage {name}\n\n"
        'import (\n\t"fmt"\n\t"sort"\n\t"strings"\n)\n'
    ]
    for i in range(types):
        out.append(
            f"""
// Record{i} is one generated record type.
type Record{i} struct {{
	ID    int
	Name  string
	Tags  []string
	Score float64
}}

// Build{i} makes n records.
func Build{i}(n int) []Record{i} {{
	records := make([]Record{i}, 0, n)
	for j := 0; j < n; j++ {{
		tags := []string{{fmt.Sprintf("t%d", j%{seed + 3}), fmt.Sprintf("u%d", j%{i + 2})}}
		records = append(records, Record{i}{{ID: j * {seed + i + 1}, Name: fmt.Sprintf("r{i}-%d", j), Tags: tags, Score: float64(j) / {i + 1.5}}})
	}}
	return records
}}

// Summarize{i} orders records and describes them.
func Summarize{i}(records []Record{i}) string {{
	sort.Slice(records, func(a, b int) bool {{
		if records[a].Score != records[b].Score {{
			return records[a].Score > records[b].Score
		}}
		return records[a].Name < records[b].Name
	}})
	byTag := map[string]int{{}}
	var names []string
	for _, r := range records {{
		for _, t := range r.Tags {{
			byTag[t]++
		}}
		names = append(names, strings.ToUpper(r.Name))
	}}
	return fmt.Sprintf("%d records, %d tags, first %v", len(records), len(byTag), names[:1])
}}
"""
        )
    calls = " + ".join(f"Summarize{i}(Build{i}(3))" for i in range(types))
    out.append(f"\n// Describe exercises every generated function.\nfunc Describe() string {{\n\treturn {calls}\n}}\n")
    return "".join(out)


class Shape:
    """How heavy the generated code is: record types per package (every package, the
    services' own and the dependency modules') and packages per dependency module."""

    def __init__(self, types=FUNCS_PER_PACKAGE, dep_packages=DEP_PACKAGES):
        self.types = types
        self.dep_packages = dep_packages

    def dep_path(self, index):
        """The shape is in the module path: the proxy serves every module as v1.0.0, so a run
        with another shape must not be served the zip (or go.sum) of an earlier one."""
        return f"example.com/benchdep{index}-p{self.dep_packages}-t{self.types}"


def dep_module(index, shape):
    path = shape.dep_path(index)
    files = {"go.mod": f"module {path}\n\ngo 1.21\n"}
    for j in range(shape.dep_packages):
        files[f"p{j}/p{j}.go"] = package_code(f"p{j}", index * 7 + j, shape.types)
    return path, files


def extra_module(index):
    path = f"example.com/benchextra{index}"
    return path, {
        "go.mod": f"module {path}\n\ngo 1.21\n",
        "extra.go": f"// Package benchextra{index} is a dependency the benchmark adds.\n"
        f"package benchextra{index}\n\n// Name names the module.\nfunc Name() string {{ return \"{path}\" }}\n",
    }


def publish_modules(proxy_root, deps, extras, shape=None):
    """Serves the dependency modules from the proxy; returns go.sum lines per module path."""
    shape = shape or Shape()
    modules = {}
    for path, files in [dep_module(k, shape) for k in range(deps)] + [extra_module(r) for r in range(extras)]:
        modules[path] = {"v1.0.0": files}
    sums = {}
    for line in goproxy_fixtures.publish(proxy_root, modules):
        sums.setdefault(line.split()[0], []).append(line)
    return sums


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def service_main(service, packages, deps, shape):
    imports = ['"encoding/json"', '"fmt"', '"net/http"', '"os"']
    calls = []
    for j in range(packages):
        imports.append(f'own{j} "{MODULE}/internal/{service}/pkg{j}"')
        calls.append(f"own{j}.Describe()")
    for k in range(deps):
        for j in range(shape.dep_packages):
            imports.append(f'dep{k}p{j} "{shape.dep_path(k)}/p{j}"')
            calls.append(f"dep{k}p{j}.Describe()")
    body = "\n\t".join(f"parts = append(parts, {c})" for c in calls)
    return (
        "package main\n\nimport (\n\t" + "\n\t".join(imports) + "\n)\n\n"
        "func main() {\n"
        "\tvar parts []string\n"
        f"\t{body}\n"
        '\tif len(os.Args) > 1 && os.Args[1] == "serve" {\n'
        '\t\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(parts) })\n'
        '\t\t_ = http.ListenAndServe(":8080", nil)\n'
        "\t\treturn\n\t}\n"
        f'\tout, _ := json.Marshal(map[string]int{{"{service}": len(parts)}})\n'
        "\tfmt.Println(string(out))\n}\n"
    )


DOCKERFILE_HEAD = """\
# The hand-written best-practice Dockerfile for the same module, as a Go team would write it:
# modules downloaded in a step keyed only on go.mod/go.sum, one stage per service with cache
# mounts for GOMODCACHE and GOCACHE and the source bind-mounted, a distroless final copy each.
ARG BASE=gcr.io/distroless/static-debian12:nonroot

FROM golang:1.24 AS modules
ARG GOPROXY
ARG GOSUMDB
ENV GOPROXY=$GOPROXY GOSUMDB=$GOSUMDB GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
"""

DOCKERFILE_SERVICE = """
FROM modules AS build-{s}
RUN --mount=type=bind,target=. \\
    --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=cache,target=/root/.cache/go-build \\
    go build -trimpath -o /out/{s} ./cmd/{s}

FROM ${{BASE}} AS {s}
COPY --from=build-{s} /out/{s} /usr/local/bin/{s}
ENTRYPOINT ["/usr/local/bin/{s}"]
"""


def dockerfile(services):
    text = DOCKERFILE_HEAD + "".join(DOCKERFILE_SERVICE.format(s=s) for s in services)
    text += "\n# Every binary in one image, as gofrontend builds without --target.\nFROM ${BASE} AS all\n"
    text += "".join(f"COPY --from=build-{s} /out/{s} /usr/local/bin/{s}\n" for s in services)
    return text + DOCKERFILE_FLOOR


# The cold floor: every service in one `go build`, so one action graph keeps every core busy.
DOCKERFILE_FLOOR = """
FROM modules AS build-floor
RUN --mount=type=bind,target=. \\
    --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=cache,target=/root/.cache/go-build \\
    go build -trimpath -o /out/ ./cmd/...

FROM ${BASE} AS floor
COPY --from=build-floor /out/ /usr/local/bin/
"""


# The test stage a Go team adds: every package's tests, with the same cache mounts, so a warm
# builder reruns only the tests Go's test cache does not hold.
DOCKERFILE_TEST = """
FROM modules AS test
RUN --mount=type=bind,target=. \\
    --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=cache,target=/root/.cache/go-build \\
    go test -trimpath ./...
"""


def package_test(name, types):
    """Real tests of a generated package: every record type built, summarized and checked."""
    checks = "".join(
        f"""
func TestRecord{i}(t *testing.T) {{
	records := Build{i}(500)
	if len(records) != 500 || records[1].ID == records[2].ID {{
		t.Fatalf("Build{i}: %d records", len(records))
	}}
	if got := Summarize{i}(records); !strings.HasPrefix(got, "500 records") {{
		t.Errorf("Summarize{i} = %q", got)
	}}
}}
"""
        for i in range(types)
    )
    return (f"package {name}\n\nimport (\n\t\"strings\"\n\t\"testing\"\n)\n" + checks +
            f"\nfunc TestDescribe(t *testing.T) {{\n\tif Describe() == \"\" {{\n\t\tt.Fatal(\"empty\")\n\t}}\n}}\n")


def gofile(services):
    return "# syntax=org/gofrontend\n" + "".join(
        f'[services.{s}]\npackage = "./cmd/{s}"\n' for s in services
    )


class Workload:
    """A module directory; edits keep both build files looking at the same source."""

    # What the benchmark's edit scenario calls the edit.
    edit_label = "edit one .go file"

    def __init__(self, root, services, packages, deps, sums, shape=None, tests=False):
        self.root = root
        self.services = [f"svc{i}" for i in range(services)]
        self.name = f"{services} service" + ("" if services == 1 else "s")
        # With tests, every service package has a _test.go and the Dockerfile a test stage;
        # the scenarios build the test target.
        self.tests = tests
        if tests:
            self.name += ", go test ./..."
            self.edit_label = "edit one package"
        self.packages = packages
        self.deps = deps
        self.sums = sums
        self.shape = shape or Shape()
        self.extras = 0
        shutil.rmtree(root, ignore_errors=True)
        for s in self.services:
            write(root, f"cmd/{s}/main.go", service_main(s, packages, deps, self.shape))
            for j in range(packages):
                write(root, f"internal/{s}/pkg{j}/pkg{j}.go", package_code(f"pkg{j}", j + len(s), self.shape.types))
                if tests:
                    write(root, f"internal/{s}/pkg{j}/pkg{j}_test.go", package_test(f"pkg{j}", self.shape.types))
        write(root, "Gofile", gofile(self.services))
        write(root, "Dockerfile", dockerfile(self.services) + (DOCKERFILE_TEST if tests else ""))
        write(root, ".dockerignore", "Gofile\nDockerfile\n")
        self.write_module_files()

    def write_module_files(self):
        paths = [self.shape.dep_path(k) for k in range(self.deps)]
        paths += [f"example.com/benchextra{r}" for r in range(self.extras)]
        requires = "".join(f"\t{p} v1.0.0\n" for p in paths)
        write(self.root, "go.mod", f"module {MODULE}\n\ngo 1.24\n" + (f"\nrequire (\n{requires})\n" if paths else ""))
        write(self.root, "go.sum", "".join(line for p in sorted(paths) for line in self.sums[p]))

    def edit(self, nonce):
        """One .go file edited in one service."""
        write(
            self.root,
            f"internal/{self.services[0]}/pkg0/edit.go",
            f"package pkg0\n\n// Edit changes with every benchmark edit.\nfunc Edit() int {{ return {nonce} }}\n",
        )

    def add_dependency(self):
        """One more module required in go.mod/go.sum and imported by the first service."""
        self.extras += 1
        self.write_module_files()
        imports = "".join(f'\tx{r} "example.com/benchextra{r}"\n' for r in range(self.extras))
        uses = "".join(f"\t_ = x{r}.Name()\n" for r in range(self.extras))
        write(
            self.root,
            f"cmd/{self.services[0]}/extra.go",
            f"package main\n\nimport (\n{imports})\n\nfunc init() {{\n{uses}}}\n",
        )
