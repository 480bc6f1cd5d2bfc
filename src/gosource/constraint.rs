//! Whether a Go file builds for a platform and a set of tags: its `//go:build` expression and
//! its name's `_GOOS`/`_GOARCH` suffixes, as the go command decides which files a package has.
//! The test target needs it: `go test` of a package whose files are all excluded fails
//! ("build constraints exclude all Go files"), where `go test ./...` skips the package.

/// What a build satisfies: the platform, cgo, and the build tags.
pub struct BuildContext<'a> {
    pub goos: &'a str,
    pub goarch: &'a str,
    pub cgo: bool,
    pub tags: &'a [String],
}

/// The operating systems the go command counts as `unix`.
const UNIX: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "linux",
    "netbsd",
    "openbsd",
    "solaris",
];

impl BuildContext<'_> {
    fn satisfies(&self, tag: &str) -> bool {
        tag == self.goos
            || tag == self.goarch
            || (tag == "unix" && UNIX.contains(&self.goos))
            || (tag == "linux" && self.goos == "android")
            || (tag == "cgo" && self.cgo)
            || tag == "gc"
            // Release tags: the builder's Go is taken as new enough for any `go1.N`.
            || tag.strip_prefix("go1.").is_some_and(|minor| minor.parse::<u32>().is_ok())
            || self.tags.iter().any(|t| t == tag)
    }

    /// Whether the file `name`, with the `//go:build` expression `expression`, is compiled. An
    /// expression that does not parse counts as satisfied: the go command reports it then.
    pub fn builds(&self, name: &str, expression: Option<&str>) -> bool {
        self.name_matches(name)
            && expression.is_none_or(|e| evaluate(e, &|tag| self.satisfies(tag)).unwrap_or(true))
    }

    fn name_matches(&self, name: &str) -> bool {
        let (os, arch) = name_platform(name);
        os.is_none_or(|os| self.satisfies(os)) && arch.is_none_or(|arch| arch == self.goarch)
    }
}

/// The platform a file's name restricts it to: `name_GOOS.go`, `name_GOARCH.go`,
/// `name_GOOS_GOARCH.go`, each also before `_test.go`.
pub fn name_platform(name: &str) -> (Option<&str>, Option<&str>) {
    let stem = name.trim_end_matches(".go");
    let stem = stem.strip_suffix("_test").unwrap_or(stem);
    let parts: Vec<&str> = stem.split('_').collect();
    let n = parts.len();
    let os = |part: &&str| KNOWN_OS.contains(part);
    let arch = |part: &&str| KNOWN_ARCH.contains(part);
    if n >= 3 && os(&parts[n - 2]) && arch(&parts[n - 1]) {
        return (Some(parts[n - 2]), Some(parts[n - 1]));
    }
    match parts[..] {
        [_, .., last] if os(&last) => (Some(last), None),
        [_, .., last] if arch(&last) => (None, Some(last)),
        _ => (None, None),
    }
}

const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];
const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// Evaluates a `//go:build` expression (`linux && (amd64 || arm64)`, `!windows`); None when
/// it does not parse.
pub fn evaluate(expression: &str, satisfied: &dyn Fn(&str) -> bool) -> Option<bool> {
    let mut parser = Parser {
        rest: expression.trim(),
        satisfied,
    };
    let value = parser.or()?;
    parser.rest.trim_start().is_empty().then_some(value)
}

struct Parser<'a, 'f> {
    rest: &'a str,
    satisfied: &'f dyn Fn(&str) -> bool,
}

impl Parser<'_, '_> {
    fn eat(&mut self, token: &str) -> bool {
        self.rest = self.rest.trim_start();
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn or(&mut self) -> Option<bool> {
        let mut value = self.and()?;
        while self.eat("||") {
            value |= self.and()?;
        }
        Some(value)
    }

    fn and(&mut self) -> Option<bool> {
        let mut value = self.not()?;
        while self.eat("&&") {
            value &= self.not()?;
        }
        Some(value)
    }

    fn not(&mut self) -> Option<bool> {
        if self.eat("!") {
            return self.not().map(|v| !v);
        }
        if self.eat("(") {
            let value = self.or()?;
            return self.eat(")").then_some(value);
        }
        self.rest = self.rest.trim_start();
        let end = self
            .rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (tag, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some((self.satisfied)(tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux(tags: &[String]) -> BuildContext<'_> {
        BuildContext {
            goos: "linux",
            goarch: "amd64",
            cgo: false,
            tags,
        }
    }

    #[test]
    fn expressions_are_evaluated_as_the_go_command_does() {
        let tags = vec!["integration".to_string()];
        let ctx = linux(&tags);
        let builds = |e: &str| ctx.builds("x.go", Some(e));
        assert!(builds("linux && amd64"));
        assert!(builds("unix && !windows"));
        assert!(builds("(darwin || linux) && go1.21"));
        assert!(builds("integration"));
        assert!(!builds("e2e"));
        assert!(!builds("ignore"));
        assert!(!builds("cgo"));
        assert!(!builds("!linux || arm64"));
        assert!(builds("linux && (arm64 || amd64) && !e2e"));
        // What does not parse is left to the go command.
        assert!(builds("linux &&"));
        assert_eq!(evaluate("a b", &|_| true), None);
    }

    #[test]
    fn file_names_name_their_platform() {
        let ctx = linux(&[]);
        assert!(ctx.builds("x_linux.go", None));
        assert!(ctx.builds("x_linux_amd64_test.go", None));
        assert!(ctx.builds("x_amd64.go", None));
        assert!(!ctx.builds("x_windows_test.go", None));
        assert!(!ctx.builds("x_linux_arm64.go", None));
        assert!(!ctx.builds("x_arm64_test.go", None));
        assert!(ctx.builds("linux.go", None), "a name alone is no suffix");
        assert!(ctx.builds("x_unix.go", None), "unix is no file name suffix");
    }
}
