// Package integration holds end-to-end tests: the petrel binary is built
// and started on 127.0.0.1 with a fresh data directory, and real clients
// talk to it over real sockets — go-imap v2's imapclient, Python's imaplib,
// mbsync, and raw scripted transcripts where the bytes matter.
//
// Every test runs against Petrel by default. The same tests run against a
// private Dovecot instance (package petrel.dev/petrel/test/dovecot) to
// validate the tests themselves:
//
//	go test ./test/integration -target=dovecot
//	PETREL_TEST_TARGET=petrel,dovecot go test ./test/integration
//
// The package has no non-test code; this file only carries the
// documentation.
package integration
