//go:build !race

package differential

// raceEnabled is true when the test binary has the race detector: petrel
// is then built with -race too, and the test compares a sample of
// raceSample messages to stay within its time budget.
const raceEnabled = false
