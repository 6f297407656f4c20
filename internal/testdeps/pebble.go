package testdeps

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Pebble is Let's Encrypt's ACME test server, which the built-in HTTPS
// test (server TestTLSACMEPebble, issue 16 item 5) obtains certificates
// from, with its DNS test server pebble-challtestsrv. They are programs,
// not libraries: Command builds them with go install into a cache
// directory (PebbleDir), never into the checkout or go.mod.
const (
	Pebble        = "pebble"
	PebbleModule  = "github.com/letsencrypt/pebble/v2"
	PebbleVersion = "v2.10.3"
)

// PebbleCommands are the commands of PebbleModule the tests run.
var PebbleCommands = []string{"pebble", "pebble-challtestsrv"}

// PebbleInstallArgs are the go arguments that build PebbleCommands
// (with GOBIN set to PebbleDir).
func PebbleInstallArgs() []string {
	args := []string{"install"}
	for _, c := range PebbleCommands {
		args = append(args, PebbleModule+"/cmd/"+c+"@"+PebbleVersion)
	}
	return args
}

// PebbleDir is where the Pebble commands are (or go): <user cache>/naamio/
// pebble-<version>, so another version gets a fresh build.
func PebbleDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w", err)
	}
	return filepath.Join(cache, "naamio", "pebble-"+PebbleVersion), nil
}

// PebbleReady reports whether dir holds every Pebble command.
func PebbleReady(dir string) error {
	for _, c := range PebbleCommands {
		fi, err := os.Stat(filepath.Join(dir, c))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o100 == 0 {
			return fmt.Errorf("%s %s is not built in %s", c, PebbleVersion, dir)
		}
	}
	return nil
}

// NeedPebble returns the paths of pebble and pebble-challtestsrv, or skips
// or fails t (dependency Pebble) when they are not built.
func NeedPebble(t testing.TB) (pebble, challtestsrv string) {
	t.Helper()
	dir, err := PebbleDir()
	if err == nil {
		err = PebbleReady(dir)
	}
	if err != nil {
		Missing(t, Pebble, fmt.Sprintf("the ACME test server is not built (%v); %s builds it (go install %s/cmd/...@%s, outside the checkout) and runs every test",
			err, Command, PebbleModule, PebbleVersion))
	}
	return filepath.Join(dir, "pebble"), filepath.Join(dir, "pebble-challtestsrv")
}
