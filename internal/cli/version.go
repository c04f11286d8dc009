package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is the release version. Release builds set it with
// -ldflags "-X github.com/sluicehq/sluice/internal/cli.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

// buildVersion returns the version: the one set at link time, else the
// main module's version, else "(devel)" with the VCS revision when known.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	if v == "(devel)" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	return v
}

func runVersion(ctx context.Context, st *streams, args []string) error {
	c := newCmd("version", "[flags]", `Print the version of this sluice binary and the Go release that built it.`,
		`sluice version
		sluice version --json`)
	asJSON := c.fs.Bool("json", false, "print JSON")
	if _, err := c.parse(st, args, 0, 0); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(st.stdout, map[string]string{"version": buildVersion(), "go": runtime.Version()})
	}
	fmt.Fprintf(st.stdout, "sluice %s %s %s/%s\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
