// Package greeting is shared by every service of the example.
package greeting

import (
	"fmt"
	"os"
)

// Version is stamped at build time with -ldflags -X.
var Version = "unset"

// Line names the service that says it, in the style GREETING_STYLE asks for.
func Line(service string) string {
	if os.Getenv("GREETING_STYLE") == "loud" {
		return fmt.Sprintf("HELLO FROM %s (VERSION %s)", service, Version)
	}
	return fmt.Sprintf("hello from %s (version %s)", service, Version)
}
