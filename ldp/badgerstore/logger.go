package badgerstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// badgerLogger adapts slog to badger.Logger. Badger's info and debug output
// is dropped; warnings and errors are logged with library=badger (the
// component key is the caller's: the server names the store's logger).
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) { l.emit(slog.LevelError, f, a) }

func (l badgerLogger) Warningf(f string, a ...any) { l.emit(slog.LevelWarn, f, a) }

func (badgerLogger) Infof(string, ...any) {}

func (badgerLogger) Debugf(string, ...any) {}

func (l badgerLogger) emit(level slog.Level, f string, a []any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	msg := strings.TrimSpace(fmt.Sprintf(f, a...))
	l.log.Log(context.Background(), level, msg, "library", "badger")
}
