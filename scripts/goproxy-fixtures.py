#!/usr/bin/env python3
"""Write tiny Go modules as a GOPROXY directory tree, plus their go.sum lines.

Layout (what `go mod download` asks a GOPROXY for):
    ROOT/MODULE/@v/list
    ROOT/MODULE/@v/VERSION.info   {"Version": ..., "Time": ...}
    ROOT/MODULE/@v/VERSION.mod    the module's go.mod
    ROOT/MODULE/@v/VERSION.zip    entries prefixed "MODULE@VERSION/"

Served by `python3 -m http.server --directory ROOT`, this is a working GOPROXY.
The output is deterministic (fixed zip timestamps, sorted entries), so the
go.sum lines written to --sums never change: tests can ship a complete go.sum.

Usage: goproxy-fixtures.py --root DIR --sums FILE
Other scripts (bench/) import publish() to serve modules of their own.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import zipfile

# Module fixtures: path -> version -> {file name: content}.
# example.com/shout v1.0.0 requires example.com/quote v1.1.0, so a build that
# needs both exercises minimal version selection (quote v1.0.0 -> v1.1.0).
MODULES = {
    "example.com/quote": {
        "v1.0.0": {
            "go.mod": "module example.com/quote\n\ngo 1.21\n",
            "quote.go": (
                "// Package quote returns a greeting.\n"
                "package quote\n\n"
                "// Hello returns a greeting.\n"
                "func Hello() string {\n"
                '\treturn "Hello, world."\n'
                "}\n"
            ),
        },
        "v1.1.0": {
            "go.mod": "module example.com/quote\n\ngo 1.21\n",
            "quote.go": (
                "// Package quote returns a greeting.\n"
                "package quote\n\n"
                "// Hello returns a greeting.\n"
                "func Hello() string {\n"
                '\treturn "Hello, world! (quote v1.1.0)"\n'
                "}\n"
            ),
        },
    },
    "example.com/shout": {
        "v1.0.0": {
            "go.mod": (
                "module example.com/shout\n\n"
                "go 1.21\n\n"
                "require example.com/quote v1.1.0\n"
            ),
            "shout.go": (
                "// Package shout returns the quote, loudly.\n"
                "package shout\n\n"
                'import (\n\t"strings"\n\n\t"example.com/quote"\n)\n\n'
                "// Hello returns quote.Hello in upper case.\n"
                "func Hello() string {\n"
                "\treturn strings.ToUpper(quote.Hello())\n"
                "}\n"
            ),
        },
    },
}

# Fixed times: the .info Time and the zip entry timestamps.
INFO_TIME = "2024-01-01T00:00:00Z"
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def hash1(files):
    """Go's dirhash.Hash1 over (name, content) pairs: the h1: of go.sum."""
    summary = "".join(
        "%s  %s\n" % (hashlib.sha256(data).hexdigest(), name)
        for name, data in sorted(files)
    )
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def write_if_changed(path, data):
    """Rewrite only when content differs (the proxy may be serving it)."""
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def module_zip(mod, version, files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo("%s@%s/%s" % (mod, version, name), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name].encode())
    return buf.getvalue()


def publish(root, modules):
    """Write MODULES-shaped fixtures under ROOT; return their go.sum lines."""
    sums = []
    for mod, versions in sorted(modules.items()):
        vdir = os.path.join(root, mod, "@v")
        os.makedirs(vdir, exist_ok=True)
        write_if_changed(os.path.join(vdir, "list"), "".join(v + "\n" for v in versions).encode())
        for version, files in sorted(versions.items()):
            info = json.dumps({"Version": version, "Time": INFO_TIME}).encode()
            write_if_changed(os.path.join(vdir, version + ".info"), info)
            write_if_changed(os.path.join(vdir, version + ".mod"), files["go.mod"].encode())
            write_if_changed(os.path.join(vdir, version + ".zip"), module_zip(mod, version, files))
            prefix = "%s@%s/" % (mod, version)
            zhash = hash1((prefix + n, c.encode()) for n, c in files.items())
            mhash = hash1([("go.mod", files["go.mod"].encode())])
            sums.append("%s %s %s\n" % (mod, version, zhash))
            sums.append("%s %s/go.mod %s\n" % (mod, version, mhash))
    return sums


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="directory the proxy serves")
    ap.add_argument("--sums", required=True, help="file to write go.sum lines to")
    args = ap.parse_args()
    write_if_changed(args.sums, "".join(publish(args.root, MODULES)).encode())


if __name__ == "__main__":
    main()
