package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	const floor = 64 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{1 << 10, 10000}, // capped
		{4 << 20, 1500},  // 4 MB × 16 = 64 MB
		{16 << 20, 300},  // 16 MB × 4 = 64 MB
		{30 << 20, 113},  // just under half the floor
		{32 << 20, 100},  // half the floor and up: the default
		{1 << 30, 100},
	} {
		got := gcPercentFor(c.live, floor)
		if got != c.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", c.live, got, c.want)
		}
		if c.live > 0 && got > 100 && got < 10000 && c.live*uint64(100+got)/100 < floor-c.live/100 {
			t.Errorf("live %d, GOGC %d: goal below the floor", c.live, got)
		}
	}
}

// After a collection the tuner raises GOGC for this test binary's small
// heap, and stop restores the default.
func TestTuneGC(t *testing.T) {
	t.Setenv("GOGC", "") // set: tuneGC must leave it alone
	stop := tuneGC(64 << 20)
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC %d with GOGC set in the environment", got)
	}
	t.Run("unset", func(t *testing.T) {
		unsetenv(t, "GOGC")
		stop := tuneGC(1 << 40) // far above any live heap here
		defer stop()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
			got := debug.SetGCPercent(-1)
			debug.SetGCPercent(got)
			if got == 10000 {
				return
			}
		}
		t.Error("GOGC never raised after collections")
	})
}

// unsetenv removes key for the test, restoring it afterwards.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	old, had := os.LookupEnv(key)
	os.Unsetenv(key)
	t.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		}
	})
}
