package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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
	var logs syncBuffer
	runServe(t, cfg, &logs)
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
	fifo, head := fifoHead(t, file+".partial")
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
	// The server says, at warning level, that the backup was cut off
	// because its CLI went away, and names no argument (a FILE name may be
	// a secret's path; account create's arguments hold an email).
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"admin command aborted"`) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var aborted map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"admin command aborted"`) {
			if err := json.Unmarshal([]byte(line), &aborted); err != nil {
				t.Fatal(err)
			}
		}
	}
	if aborted == nil {
		t.Fatalf("the server did not log the backup its killed CLI left: %s", logs.String())
	}
	if aborted["level"] != "WARN" || aborted["command"] != "backup" || !strings.Contains(fmt.Sprint(aborted["err"]), "went away") {
		t.Errorf("the log of the aborted backup: %v", aborted)
	}
	if strings.Contains(logs.String(), file) {
		t.Errorf("the log names the command's arguments: %s", logs.String())
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

const backupServeEnv = "NAAMIO_TEST_BACKUP_SERVE"

// TestBackupServeChild is the server process TestBackupServerKill9
// kills: it serves the data directory (admin socket included) until it is
// killed or its standard input closes (the parent test has gone).
func TestBackupServeChild(t *testing.T) {
	env := os.Getenv(backupServeEnv)
	if env == "" {
		t.Skip("run by TestBackupServerKill9")
	}
	f := strings.Split(env, "\n")
	cfg := defaults()
	cfg.Listen, cfg.BaseURL, cfg.DataDir = f[0], f[1], f[2]
	cfg.DiskReserve = 0
	cfg.OwnerWebID = "https://owner.example/profile/card#me"
	runServe(t, cfg, io.Discard)
	fmt.Println("SERVING")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// kill -9 of the SERVER in the middle of a backup the CLI streams through
// its admin socket (issue 16 item 2; SECURITY row 56): the CLI fails with
// a message saying the server stopped and FILE.partial is incomplete (no
// panic, no FILE); restore refuses what FILE.partial holds as truncated;
// the socket file the killed server left blocks neither an offline
// command nor a new server on the same directory, which serves the data
// written before and takes a whole backup that restores.
func TestBackupServerKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	cfg := loopbackConfig(t)
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackupServeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), backupServeEnv+"="+cfg.Listen+"\n"+cfg.BaseURL+"\n"+cfg.DataDir)
	childIn, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	childOut, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		childIn.Close()
		if !killed {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
		}
	})
	if sc := bufio.NewScanner(childOut); !func() bool {
		for sc.Scan() {
			if sc.Text() == "SERVING" {
				return true
			}
		}
		return false
	}() {
		t.Fatal("the server process did not start")
	}
	go func() { _, _ = io.Copy(io.Discard, childOut) }()
	// 4 MiB of bodies: more than the server's buffer, the socket's and
	// the FIFO's together hold, so the backup is surely mid-stream.
	bodies := map[string][]byte{"/note.txt": []byte("written before the kill")}
	for i := range 4 {
		bodies[fmt.Sprintf("/big%d.bin", i)] = bytes.Repeat([]byte{byte('a' + i)}, 1<<20)
	}
	for p, b := range bodies {
		if code, _, _ := httpDo(t, "PUT", base+p, "application/octet-stream", b); code >= 300 {
			t.Fatalf("PUT %s: %d", p, code)
		}
	}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "full")
	if err := syscall.Mkfifo(file+".partial", 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		stderr string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		var out, errOut bytes.Buffer
		err := runCLI(lookupCommand("backup"), []string{"--data", cfg.DataDir, "-o", file}, nil, &out, &errOut)
		done <- result{errOut.String(), err}
	}()
	fifo, head := fifoHead(t, file+".partial")
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	killed = true
	rest, _ := io.ReadAll(fifo) // what was on its way when the server died
	fifo.Close()
	var res result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the CLI hangs after the server was killed")
	}
	if res.err == nil {
		t.Fatal("backup succeeded although the server was killed in the middle")
	}
	msg := res.err.Error()
	t.Logf("the CLI: %s", msg)
	for _, want := range []string{"stopped answering before backup finished", file + ".partial is incomplete"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the CLI's error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "panic") {
		t.Errorf("the CLI panicked: %s", msg)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("FILE exists after the server was killed: %v", err)
	}
	if _, err := os.Lstat(file + ".partial"); err != nil {
		t.Fatalf("FILE.partial: %v", err)
	}
	partial := filepath.Join(tmp, "partial-copy")
	os.WriteFile(partial, append(head, rest...), 0o600)
	var out, errOut bytes.Buffer
	if err := restore([]string{"--data", filepath.Join(tmp, "r"), partial}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("restore of the partial file (%d bytes): %v", len(head)+len(rest), err)
	}
	if _, err := os.Lstat(adminSocketPath(cfg.DataDir)); err != nil {
		t.Fatalf("the killed server left no socket file, the test proves nothing about it: %v", err)
	}
	// The stale socket: an offline command neither hangs nor fails.
	offline := filepath.Join(tmp, "offline")
	offDone := make(chan error, 1)
	go func() {
		msg, err := backupCLI(t, "--data", cfg.DataDir, "-o", offline)
		if err != nil {
			err = fmt.Errorf("%w %s", err, msg)
		}
		offDone <- err
	}()
	select {
	case err := <-offDone:
		if err != nil {
			t.Fatalf("offline backup beside the killed server's socket: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the offline backup hangs on the killed server's socket")
	}
	// A new server on the same directory: serves what was written, takes a
	// whole backup through its own socket, which restores.
	var logs syncBuffer
	stop := runServe(t, cfg, &logs)
	for p, b := range bodies {
		if code, _, got := httpDo(t, "GET", base+p, "", nil); code != 200 || !bytes.Equal(got, b) {
			t.Errorf("GET %s after the restart: %d, %d bytes", p, code, len(got))
		}
	}
	os.Remove(file + ".partial")
	if msg, err := backupCLI(t, "--data", cfg.DataDir, "-o", file); err != nil {
		t.Fatalf("backup after the restart: %v %s", err, msg)
	}
	if !strings.Contains(logs.String(), `"command":"backup"`) {
		t.Fatalf("the backup after the restart did not run in the new server: %s", logs.String())
	}
	stop()
	for _, f := range []string{offline, file} {
		dir := filepath.Join(tmp, "restored-"+filepath.Base(f))
		if err := restore([]string{"--data", dir, f}, &out, &errOut); err != nil {
			t.Fatalf("restore %s: %v", f, err)
		}
		cfg2 := cfg
		cfg2.DataDir = dir
		stop := runServe(t, cfg2, io.Discard)
		for p, b := range bodies {
			if code, _, got := httpDo(t, "GET", base+p, "", nil); code != 200 || !bytes.Equal(got, b) {
				t.Errorf("%s restored: GET %s: %d, %d bytes", f, p, code, len(got))
			}
		}
		stop()
	}
}

// fifoHead opens the FIFO path (the backup's FILE.partial) and reads its
// first 64 KiB: the backup writing into it is then surely mid-stream.
func fifoHead(t *testing.T, path string) (*os.File, []byte) {
	t.Helper()
	fifo, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(fifo, head); err != nil {
		fifo.Close()
		t.Fatal(err)
	}
	return fifo, head
}
