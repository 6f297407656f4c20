// Command naamio is a self-hosted Solid pod server. See README.md.
package main

import (
	"os"

	"github.com/naamio/naamio/server"
)

func main() {
	os.Exit(server.Main(os.Args[1:], os.Stdout, os.Stderr))
}
