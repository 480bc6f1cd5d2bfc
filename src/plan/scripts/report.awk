# Prints a `go test -json` stream as go test prints without -v: a passing package's summary
# line; for a failing package, the output of every test that did not pass, then the package's
# own lines (build errors, panics, the FAIL line). Plain POSIX awk.
function field(key,    start, rest) {
    start = index($0, "\"" key "\":\"")
    if (start == 0) return ""
    rest = substr($0, start + length(key) + 4)
    return substr(rest, 1, closing(rest) - 1)
}
# The position of the quote that ends a JSON string starting at `s`.
function closing(s,    i, c) {
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\") i++
        else if (c == "\"") return i
    }
    return length(s) + 1
}
function hexval(h,    i, v) {
    v = 0
    for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
    return v
}
function decode(s,    out, i, c, v) {
    out = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c != "\\") { out = out c; continue }
        c = substr(s, ++i, 1)
        if (c == "n") out = out "\n"
        else if (c == "t") out = out "\t"
        else if (c == "r") out = out "\r"
        else if (c == "u") { v = hexval(substr(s, i + 1, 4)); i += 4; out = out (v < 128 ? sprintf("%c", v) : "?") }
        else out = out c
    }
    return out
}
# A test is known by its package and name: one stream may hold several packages' tests.
{
    action = field("Action"); test = field("Test"); key = field("Package") " " test
    if (action == "output" || action == "build-output") {
        text = field("Output")
        if (test == "") own = own text
        else if (substr(text, 1, 4) != "=== ") { if (!(key in seen)) { seen[key] = 1; order[++tests] = key }; out[key] = out[key] text }
    } else if (test != "" && (action == "pass" || action == "skip")) {
        passed[key] = 1
    } else if (test == "" && action == "fail") {
        failed = 1
    }
}
END {
    if (failed) for (i = 1; i <= tests; i++) if (!(order[i] in passed)) printf "%s", decode(out[order[i]])
    n = split(decode(own), lines, "\n")
    for (i = 1; i <= n; i++) if ((i < n || lines[i] != "") && (failed || lines[i] !~ /^PASS$/)) print lines[i]
}
