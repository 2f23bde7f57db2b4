//go:build pprofdebug

package main

// Built only with -tags pprofdebug: serves net/http/pprof on the address
// in PETREL_PPROF (loopback) for profiling benchmark runs.

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("PETREL_PPROF"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
