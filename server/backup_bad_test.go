package server

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func backupCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runCLI(lookupCommand("backup"), args, nil, &out, &errOut)
	return errOut.String(), err
}

// A full backup and an incremental taken through the admin socket chain
// and restore to the source's state (a deleted resource stays deleted);
// restore refuses, before writing anything, every bad input: truncated
// files (a FILE.partial), damaged bytes, a wrong order, a chain of
// another store, a non-empty directory, files that are not backups
// (issue 16 item 2).
func TestBackupIncrementalAndBadFiles(t *testing.T) {
	cfg := loopbackConfig(t)
	stop := runServe(t, cfg, io.Discard)
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	tmp := t.TempDir()
	put := func(p, body string) {
		if code, _, b := httpDo(t, "PUT", base+p, "text/plain", []byte(body)); code >= 300 {
			t.Fatalf("PUT %s: %d %s", p, code, b)
		}
	}
	put("/d/keep.txt", "keep")
	put("/d/gone.txt", "gone")
	put("/d/changed.txt", "v1")
	full := filepath.Join(tmp, "full")
	if msg, err := backupCLI(t, "--data", cfg.DataDir, "-o", full); err != nil {
		t.Fatalf("full: %v %s", err, msg)
	}
	if code, _, _ := httpDo(t, "DELETE", base+"/d/gone.txt", "", nil); code >= 300 {
		t.Fatalf("DELETE: %d", code)
	}
	put("/d/changed.txt", "v2")
	put("/d/new.txt", "new")
	inc := filepath.Join(tmp, "inc")
	if msg, err := backupCLI(t, "--data", cfg.DataDir, "-o", inc, "--since", full); err != nil {
		t.Fatalf("incremental: %v %s", err, msg)
	}
	// Another store's full backup.
	other := loopbackConfig(t)
	otherFull := filepath.Join(tmp, "other")
	if msg, err := backupCLI(t, "--data", other.DataDir, "-o", otherFull); err != nil {
		t.Fatalf("offline backup of another store: %v %s", err, msg)
	}
	// --since a backup of another store, or a truncated one: refused.
	if _, err := backupCLI(t, "--data", cfg.DataDir, "-o", filepath.Join(tmp, "x"), "--since", otherFull); err == nil || !strings.Contains(err.Error(), "another store") {
		t.Fatalf("--since another store's backup: %v", err)
	}
	fullBytes, _ := os.ReadFile(full)
	truncated := filepath.Join(tmp, "truncated")
	os.WriteFile(truncated, fullBytes[:len(fullBytes)-10], 0o600)
	if _, err := backupCLI(t, "--data", cfg.DataDir, "-o", filepath.Join(tmp, "y"), "--since", truncated); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("--since a truncated backup: %v", err)
	}
	stop()

	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := bytes.Clone(fullBytes)
	flipped[len(flipped)/2] ^= 0x20
	nonEmpty := t.TempDir()
	os.WriteFile(filepath.Join(nonEmpty, "x"), nil, 0o600)
	bad := []struct {
		name  string
		dir   string
		files []string
		want  string
	}{
		{"truncated by one byte", "", []string{write("t1", fullBytes[:len(fullBytes)-1])}, "truncated"},
		{"header only", "", []string{write("t2", fullBytes[:len(backupMagic)+3])}, ""},
		{"empty", "", []string{write("t3", nil)}, "truncated"},
		{"half", "", []string{write("t4", fullBytes[:len(fullBytes)/2])}, ""},
		{"damaged byte", "", []string{write("f", flipped)}, ""},
		{"trailing data", "", []string{write("tr", append(bytes.Clone(fullBytes), 'x'))}, "after the end"},
		{"not a backup", "", []string{write("n", []byte("<html><script>alert(1)</script>"))}, "not a naamio backup"},
		{"huge key length", "", []string{write("h", append([]byte(backupMagic+`{"store":"s"}`+"\n"+"V"), 0xff, 0xff, 0xff, 0xff, 0x0f))}, "damaged"},
		{"incremental first", "", []string{inc}, "full backup"},
		{"two fulls", "", []string{full, full}, "full backup after"},
		{"incremental of another chain", "", []string{otherFull, inc}, "does not continue"},
		{"non-empty directory", nonEmpty, []string{full}, "not empty"},
		{"missing file", "", []string{filepath.Join(tmp, "nope")}, "no such file"},
	}
	for _, c := range bad {
		dir := c.dir
		if dir == "" {
			dir = filepath.Join(tmp, "r-"+strings.ReplaceAll(c.name, " ", "-"))
		}
		var out, errOut bytes.Buffer
		err := restore(append([]string{"--data", dir}, c.files...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: restore: %v, want %q", c.name, err, c.want)
		}
		if c.dir == "" {
			if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
				t.Errorf("%s: the directory was created", c.name)
			}
		}
	}
	if entries, _ := os.ReadDir(nonEmpty); len(entries) != 1 {
		t.Errorf("the non-empty directory was changed: %d entries", len(entries))
	}

	// The chain restores: a server on it serves the state at the
	// incremental.
	restored := filepath.Join(tmp, "restored")
	var out, errOut bytes.Buffer
	if err := restore([]string{"--data", restored, full, inc}, &out, &errOut); err != nil {
		t.Fatalf("restore: %v %s", err, errOut.String())
	}
	cfg2 := cfg
	cfg2.DataDir = restored
	runServe(t, cfg2, io.Discard)
	for p, want := range map[string]string{"/d/keep.txt": "keep", "/d/changed.txt": "v2", "/d/new.txt": "new"} {
		if code, _, b := httpDo(t, "GET", base+p, "", nil); code != 200 || string(b) != want {
			t.Errorf("restored %s: %d %q, want %q", p, code, b, want)
		}
	}
	if code, _, _ := httpDo(t, "GET", base+"/d/gone.txt", "", nil); code != 404 {
		t.Errorf("restored /d/gone.txt (deleted before the incremental): %d, want 404", code)
	}
}

const backupKillEnv = "NAAMIO_TEST_BACKUP_KILL"

// TestBackupKillChild is the CLI process TestBackupKill9 kills.
func TestBackupKillChild(t *testing.T) {
	args := os.Getenv(backupKillEnv)
	if args == "" {
		t.Skip("run by TestBackupKill9")
	}
	if _, err := backupCLI(t, strings.Split(args, "\n")...); err != nil {
		t.Fatal(err)
	}
}

// kill -9 of the CLI in the middle of a backup through the admin socket
// leaves FILE.partial, never FILE; the server goes on serving writes and
// takes the next backup; restore refuses what the partial file holds
// (issue 16 item 2).
func TestBackupKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	cfg := loopbackConfig(t)
	runServe(t, cfg, io.Discard)
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: more than a pipe holds
	if code, _, _ := httpDo(t, "PUT", base+"/big.bin", "application/octet-stream", big); code >= 300 {
		t.Fatalf("PUT: %d", code)
	}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "full")
	// FILE.partial is a FIFO this test reads a little of, so the backup
	// is surely in the middle when the CLI is killed.
	if err := syscall.Mkfifo(file+".partial", 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackupKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), backupKillEnv+"=--data\n"+cfg.DataDir+"\n-o\n"+file)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fifo, err := os.Open(file + ".partial")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(fifo, head); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	fifo.Close()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("FILE exists after the CLI was killed: %v", err)
	}
	if _, err := os.Lstat(file + ".partial"); err != nil {
		t.Fatalf("FILE.partial: %v", err)
	}
	partial := filepath.Join(tmp, "partial-copy")
	os.WriteFile(partial, head, 0o600)
	var out, errOut bytes.Buffer
	if err := restore([]string{"--data", filepath.Join(tmp, "r"), partial}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("restore of the partial file: %v", err)
	}
	// The server: writes, and a whole backup.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _, _ := httpDo(t, "PUT", base+"/after.txt", "text/plain", []byte("after")); code < 300 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("PUT after the kill: %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(file + ".partial")
	if msg, err := backupCLI(t, "--data", cfg.DataDir, "-o", file); err != nil {
		t.Fatalf("backup after the kill: %v %s", err, msg)
	}
	if err := restore([]string{"--data", filepath.Join(tmp, "r2"), file}, &out, &errOut); err != nil {
		t.Fatalf("restore: %v", err)
	}
}

// The backup a migration writes first (issue 16 item 7) lies in the data
// directory, which still opens with it there, and restores.
func TestMigrationBackupRestores(t *testing.T) {
	dir := t.TempDir()
	st, err := openStopped(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrationBackup(dir)(1, 2, st); err != nil {
		t.Fatal(err)
	}
	st.Close()
	names, _ := filepath.Glob(filepath.Join(dir, "pre-migration-v1-to-v2-*.naamio-backup"))
	if len(names) != 1 {
		t.Fatalf("pre-migration backups: %v", names)
	}
	if partial, _ := filepath.Glob(filepath.Join(dir, "*.partial")); len(partial) != 0 {
		t.Fatalf("left: %v", partial)
	}
	st, err = openStopped(dir, false)
	if err != nil {
		t.Fatalf("the data directory with its pre-migration backup: %v", err)
	}
	st.Close()
	var out, errOut bytes.Buffer
	if err := restore([]string{"--data", filepath.Join(t.TempDir(), "r"), names[0]}, &out, &errOut); err != nil {
		t.Fatalf("restore: %v", err)
	}
}
