//go:build !linux

package badgerstore

// canTrim: only Linux is asked to drop mapped pages; elsewhere mapped
// value-log pages are left to the kernel.
const canTrim = false

func dropMapping(string, []byte) {}
