// Command petrel-bench runs bench.Main standalone, for development before
// "petrel bench" exists and for machines without the server binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"petrel.dev/petrel/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
