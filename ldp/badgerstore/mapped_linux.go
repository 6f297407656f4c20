//go:build linux

package badgerstore

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// canTrim: Linux drops mapped pages on request.
const canTrim = true

// dropMapping drops the page table entries of the mapping that holds v,
// when that mapping is a value-log file (*.vlog) in dir, as listed in
// /proc/self/maps. The caller guarantees the mapping is not changed
// meanwhile (mapped.go).
func dropMapping(dir string, v []byte) {
	addr := uintptr(unsafe.Pointer(&v[0]))
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		start, end, ok := vlogMapping(sc.Text(), dir)
		if ok && start <= addr && addr < end {
			_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_DONTNEED)
			return
		}
	}
}

// vlogMapping parses one /proc/self/maps line ("start-end perms offset dev
// inode path") and reports the range when it maps a value-log file in dir.
func vlogMapping(line, dir string) (start, end uintptr, ok bool) {
	fields := strings.Fields(line)
	if len(fields) != 6 || !strings.HasSuffix(fields[5], ".vlog") || filepath.Dir(fields[5]) != dir {
		return 0, 0, false
	}
	lo, hi, found := strings.Cut(fields[0], "-")
	if !found {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(lo, 16, 64)
	b, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || b <= a {
		return 0, 0, false
	}
	return uintptr(a), uintptr(b), true
}
