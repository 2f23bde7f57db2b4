package auth

import (
	"runtime"

	"golang.org/x/crypto/argon2"
)

// hashSlots bounds how many argon2id computations run at once. Each takes
// the hash's memory cost (64 MiB) for its duration; a login storm of N
// uncached logins would otherwise hold N×64 MiB at once, which the Go
// runtime then keeps as heap. With one slot per CPU the CPUs stay busy
// and the peak stays at a few hashes' worth.
var hashSlots = make(chan struct{}, max(runtime.NumCPU(), 1))

// idKey is argon2.IDKey under hashSlots.
func idKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, time, memory, threads, keyLen)
}
