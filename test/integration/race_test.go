//go:build race

package integration

// raceEnabled is true when the test binary has the race detector; the
// petrel binary is then built with -race too.
const raceEnabled = true
