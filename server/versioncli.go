package server

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildCommit is the commit for builds where the toolchain records none
// (a git worktree, a Docker build without .git, go run):
// go build -ldflags "-X github.com/naamio/naamio/server.buildCommit=$(git rev-parse HEAD)".
// The toolchain's vcs.revision, when recorded, wins.
var buildCommit string

// printVersion is naamio version: the module's version, the commit it
// was built from and the Go version, from the build information the Go
// toolchain records in the binary (issue 16, item 5). It accepts --data
// (unused) so that scripts may pass it to every subcommand.
func printVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (unused)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version: no arguments expected, got %q", fs.Args())
	}
	info, _ := debug.ReadBuildInfo()
	_, err := io.WriteString(stdout, versionText(info, runtime.Version()))
	return err
}

// versionText is what naamio version prints for the build information
// info (nil: none recorded) and Go version goVersion: the module
// version ("(devel)" when it was built from a work tree), the commit
// ("unknown" when the toolchain recorded none, as go run and go test
// record none), with "+modified" when the work tree had changes, the
// commit's time, and the Go version.
func versionText(info *debug.BuildInfo, goVersion string) string {
	version, commit, at, modified := "unknown", "unknown", "", false
	if buildCommit != "" {
		commit = buildCommit
	}
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += "+modified"
	}
	if at != "" {
		commit += " (" + at + ")"
	}
	return fmt.Sprintf("naamio %s\ncommit %s\n%s\n", version, commit, goVersion)
}
