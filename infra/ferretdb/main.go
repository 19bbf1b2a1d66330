// Command allwan-ferretdb runs FerretDB (MongoDB wire protocol, SQLite storage) as a
// local development and test server.
//
// It embeds FerretDB's `ferretdb` package instead of `go install`-ing FerretDB's own
// command, because that command panics at start when built from the module zip (it
// expects a build/version/version.txt that is not part of the module).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "", "directory holding the SQLite databases (created if missing)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn or error")
	flag.Parse()

	if err := run(*listenAddr, *dataDir, *logLevel); err != nil {
		fmt.Fprintf(os.Stderr, "allwan-ferretdb: %s\n", err)
		os.Exit(1)
	}
}

func run(listenAddr, dataDir, logLevel string) error {
	if dataDir == "" {
		return errors.New("-data-dir is required")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad -log-level: %w", err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}

	// FerretDB's SQLite handler wants an existing directory, given as a URI ending in "/".
	if err = os.MkdirAll(abs, 0o755); err != nil {
		return err
	}

	// WAL (FerretDB's default too, stated so the pair is explicit) with synchronous=NORMAL:
	// a commit no longer waits for an fsync of the WAL, only checkpoints do. A crash of this
	// process loses nothing; a crash of the machine can lose the last transactions still in
	// the OS's buffers, never the database's integrity. For a development and test server
	// that is worth the throughput; production runs MongoDB. See infra/README.md.
	pragmas := url.Values{"_pragma": {"journal_mode(wal)", "synchronous(normal)"}}

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/?" + pragmas.Encode(),
	})
	if err != nil {
		return err
	}

	// SIGTERM/SIGINT cancel the context; Run then closes the listener, all client
	// connections and the SQLite databases before returning, so the exit is clean.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("allwan-ferretdb starting", "listen_addr", listenAddr, "data_dir", abs)

	if err = db.Run(ctx); err != nil {
		return err
	}

	logger.Info("allwan-ferretdb stopped")

	return nil
}
