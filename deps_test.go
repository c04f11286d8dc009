package sluice_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the architecture's arrows pointing inward:
// the engine and the journals know nothing of HTTP, metrics or flags, and
// the packages users import (sluice, client, worker) need nothing outside the
// standard library and this module.
func TestDependencyDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	forbidden := []string{"net/http", "flag", "testing", "github.com/prometheus/", "github.com/sluicehq/sluice/internal/nativeapi", "github.com/sluicehq/sluice/internal/awswire", "github.com/sluicehq/sluice/internal/sqsapi", "github.com/sluicehq/sluice/internal/snsapi", "github.com/sluicehq/sluice/internal/server"}
	for _, pkg := range []string{"./internal/engine", "./internal/journal", "./internal/journal/filejournal", "./internal/journal/memjournal"} {
		for _, dep := range deps(t, pkg) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f) && strings.HasSuffix(f, "/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
	for _, pkg := range []string{".", "./client", "./worker"} {
		for _, dep := range deps(t, pkg) {
			if first := strings.SplitN(dep, "/", 2)[0]; strings.Contains(first, ".") && !strings.HasPrefix(dep, "github.com/sluicehq/sluice") {
				t.Errorf("%s depends on third-party package %s; it must use the standard library only", pkg, dep)
			}
		}
	}
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
