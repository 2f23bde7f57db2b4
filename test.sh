#!/usr/bin/env bash
# Runs every check the project requires, in order, stopping at the first
# failure: gofmt, go vet, staticcheck, then all tests with the race
# detector in random order (fuzz targets run their seed corpora as part of
# go test). Integration tests run against Petrel; to run them against
# Dovecot as well, set PETREL_TEST_TARGET=all (see test/integration/doc.go).
set -eu
set -o pipefail
cd "$(dirname "$0")"

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files are not formatted (run gofmt -w):" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
if [ -x /root/go/bin/staticcheck ]; then
	staticcheck=/root/go/bin/staticcheck
elif command -v staticcheck >/dev/null 2>&1; then
	staticcheck=$(command -v staticcheck)
else
	go install honnef.co/go/tools/cmd/staticcheck@latest
	staticcheck="$(go env GOPATH)/bin/staticcheck"
fi
"$staticcheck" ./...

echo "== go test"
go test -race -shuffle=on -timeout=15m ./...
