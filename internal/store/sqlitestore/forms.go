package sqlitestore

// Implementation notes: the IMAP forms of each file.
//
// FETCH ENVELOPE, BODY and BODYSTRUCTURE (RFC 9051 §6.4.5, §7.5.2) send
// data formatted once, at delivery. The forms live in two small tables of
// their own, not in files: a files row (top-level header plus the whole
// message model) takes about half a page, so reading ENVELOPE from it
// for every message of a large mailbox read ten times as many pages as
// reading the envelopes table, whose rows are a few hundred bytes.
//
//	envelopes(file_id, envelope)          the ENVELOPE form
//	bodies(file_id, body, bodystructure)  the BODY and BODYSTRUCTURE forms
//
// Both are filled by the trigger files_forms from files.structure through
// the SQL function petrel_form (below), so every path that inserts a
// files row fills them in the same statement and nothing else has to
// remember; the migration that created them filled them for the files
// stored before. A file's rows go with it (ON DELETE CASCADE). Messages
// still reads a missing or NULL form from files.structure
// (message.FormsOf), so data that the function could not decode, or that
// a future path stores without the trigger, is still served.

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"sync"

	"modernc.org/sqlite"

	"petrel.dev/petrel/internal/message"
)

// formFunc is the SQL function petrel_form(structure, n): the IMAP form n
// (0 ENVELOPE, 1 BODY, 2 BODYSTRUCTURE) of a message.Marshal blob, or
// NULL when the blob cannot be decoded.
const formFunc = "petrel_form"

func init() {
	if err := sqlite.RegisterDeterministicScalarFunction(formFunc, 2, sqlForm); err != nil {
		panic(fmt.Sprintf("sqlitestore: register %s: %v", formFunc, err))
	}
}

// lastForms caches the forms of the last blob decoded, since the trigger
// and the migration ask for the three forms of one blob in turn, and
// version 1 blobs are decoded to format them.
var lastForms struct {
	mu    sync.Mutex
	blob  []byte    // guarded by mu
	forms [3][]byte // guarded by mu
}

// formsOf returns the three forms of blob, or ok false when blob is corrupt.
func formsOf(blob []byte) (forms [3][]byte, ok bool) {
	if env, body, bs, ok := message.Forms(blob); ok {
		// Version 2 data: slicing is cheaper than any cache.
		return [3][]byte{env, body, bs}, true
	}
	lastForms.mu.Lock()
	defer lastForms.mu.Unlock()
	if lastForms.blob != nil && bytes.Equal(lastForms.blob, blob) {
		return lastForms.forms, true
	}
	env, body, bs, err := message.FormsOf(blob)
	if err != nil {
		return forms, false
	}
	lastForms.blob = bytes.Clone(blob)
	lastForms.forms = [3][]byte{env, body, bs}
	return lastForms.forms, true
}

func sqlForm(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	blob, ok := args[0].([]byte)
	n, nok := args[1].(int64)
	if !ok || !nok || n < 0 || n > 2 {
		return nil, nil
	}
	forms, ok := formsOf(blob)
	if !ok {
		return nil, nil
	}
	// The driver copies the result; a form aliasing blob is safe to return.
	return forms[n], nil
}
