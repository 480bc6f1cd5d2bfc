// Command scanner stands in for docker/buildkit-syft-scanner, which cannot be pulled here: it
// follows BuildKit's SBOM scanner protocol (docs/attestations/sbom-protocol.md) and lists the
// Go modules of every Go binary in the scanned filesystems, as read from their build info.
package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"
)

func main() {
	source, destination := os.Getenv("BUILDKIT_SCAN_SOURCE"), os.Getenv("BUILDKIT_SCAN_DESTINATION")
	if source == "" || destination == "" {
		fail(fmt.Errorf("BUILDKIT_SCAN_SOURCE and BUILDKIT_SCAN_DESTINATION must be set"))
	}
	targets := []string{source}
	if extras := os.Getenv("BUILDKIT_SCAN_SOURCE_EXTRAS"); extras != "" {
		entries, err := os.ReadDir(extras)
		if err == nil {
			for _, entry := range entries {
				targets = append(targets, filepath.Join(extras, entry.Name()))
			}
		}
	}
	for _, target := range targets {
		out := filepath.Join(destination, filepath.Base(target)+".spdx.json")
		if err := scan(target, out); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "scanner:", err)
	os.Exit(1)
}

type externalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxPackage struct {
	Name             string        `json:"name"`
	SPDXID           string        `json:"SPDXID"`
	VersionInfo      string        `json:"versionInfo"`
	DownloadLocation string        `json:"downloadLocation"`
	FilesAnalyzed    bool          `json:"filesAnalyzed"`
	ExternalRefs     []externalRef `json:"externalRefs"`
}

// scan writes one in-toto statement whose predicate is an SPDX document of root's modules.
func scan(root, out string) error {
	versions := map[string]string{}
	err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || !entry.Type().IsRegular() {
			return nil
		}
		info, err := buildinfo.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, module := range append([]*debug.Module{&info.Main}, info.Deps...) {
			if module.Replace != nil {
				module = module.Replace
			}
			if module.Path != "" {
				versions[module.Path] = module.Version
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(versions))
	for path := range versions {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	packages := make([]spdxPackage, 0, len(paths))
	for i, path := range paths {
		packages = append(packages, spdxPackage{
			Name:             path,
			SPDXID:           fmt.Sprintf("SPDXRef-Package-%d", i),
			VersionInfo:      versions[path],
			DownloadLocation: "NOASSERTION",
			ExternalRefs: []externalRef{{
				Category: "PACKAGE-MANAGER",
				Type:     "purl",
				Locator:  fmt.Sprintf("pkg:golang/%s@%s", path, versions[path]),
			}},
		})
	}
	statement := map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"predicateType": "https://spdx.dev/Document",
		"subject":       []any{},
		"predicate": map[string]any{
			"spdxVersion":       "SPDX-2.3",
			"dataLicense":       "CC0-1.0",
			"SPDXID":            "SPDXRef-DOCUMENT",
			"name":              filepath.Base(root),
			"documentNamespace": fmt.Sprintf("https://gofrontend.invalid/sbom/%s-%d", filepath.Base(root), time.Now().UnixNano()),
			"creationInfo": map[string]any{
				"created":  time.Now().UTC().Format(time.RFC3339),
				"creators": []string{"Tool: gofrontend-sbom-stand-in"},
			},
			"packages": packages,
		},
	}
	data, err := json.MarshalIndent(statement, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}
