// Package sqlitestore is Petrel's embedded storage backend: SQLite
// (modernc.org/sqlite, pure Go) for metadata and the content of messages
// up to inlineMax (64 KiB), one plain file per larger message. It
// implements store.Store and passes storetest.
//
// # Layout on disk
//
//	<dir>/petrel.db                     users: name, password_hash, created
//	<dir>/accounts/<name>/mail.db       one account's mailboxes and messages
//	<dir>/accounts/<name>/msg/<xx>/<id> message file <id> (decimal), for a
//	                                    message over inlineMax, where
//	                                    <xx> is the low byte of id in hex
//	<dir>/accounts/<name>/msg/tmp-*     a message being written (temporary)
//
// mail.db holds (schema version in PRAGMA user_version, see schema.go):
//
//	meta(k, v)                 account counters (the last UIDVALIDITY)
//	mailboxes(id, name, ...)   one row per mailbox incarnation, with
//	                           UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the
//	                           STATUS counters (messages, unseen, deleted,
//	                           size) kept up to date by triggers
//	subscriptions(name)        subscribed names; they need not exist
//	files(id, refs, size, header, structure)
//	                           one row per message file; refs counts the
//	                           messages rows that use it (triggers), so COPY
//	                           shares a file and its parsed data: the
//	                           top-level header block (WantHeader) and
//	                           message.Marshal's model (WantStructure)
//	envelopes(file_id, envelope)
//	bodies(file_id, body, bodystructure)
//	                           the IMAP forms of each file's ENVELOPE, BODY
//	                           and BODYSTRUCTURE (WantEnvelope,
//	                           WantBodyStructure), small rows filled by the
//	                           trigger files_forms (see forms.go)
//	envelopes(file_id, envelope), bodies(file_id, body, bodystructure)
//	                           the IMAP forms of ENVELOPE, BODY and
//	                           BODYSTRUCTURE, small rows for FETCH (forms.go)
//	search_body_fts, search_header_fts
//	                           FTS5 trigram indexes of the search text, a
//	                           prefilter for SEARCH filled in the background
//	                           up to meta('fts_indexed') (fts.go)
//	contents(file_id, data)    the whole message, for files rows of at most
//	                           inlineMax bytes; no file in msg/ then
//	search(file_id, body, header)
//	                           message.Fold'ed SearchBody and SearchHeader
//	                           text for SEARCH BODY/TEXT, stored once per
//	                           file as BLOBs so instr() compares bytes
//	messages(mailbox_id, uid, file_id, flags, seen, deleted, internal_date,
//	         internal_tz, size, modseq, savedate)
//	                           WITHOUT ROWID, keyed (mailbox_id, uid)
//	expunged(mailbox_id, uid, modseq)
//	                           expunged UIDs, for QRESYNC (RFC 7162)
//	keywords(mailbox_id, name) keywords seen in a mailbox, with the
//	                           spelling first used there
//
// # Durability and ordering
//
// Append reads a message of at most inlineMax bytes into memory, parses it
// and inserts it into contents in the write transaction, whose COMMIT
// (one WAL fsync) makes it durable. A larger message it writes to a
// temporary file in msg/, parsing it in the same pass (io.TeeReader into
// message.Parse), fsyncs it, and then, inside
// the write transaction, renames it to its final name and fsyncs the
// directory before COMMIT. A crash therefore leaves at worst a file without
// a row, never a row without a file. A file whose last message is expunged
// is deleted after the commit; a crash in between leaves an orphan. Orphans
// and stale temporary files are removed when the account is first opened
// by a process; the scan runs inside a write transaction, so it cannot
// race with another process's append (its renamed-but-uncommitted file is
// covered by that process's write lock), and temporary files are removed
// only when they have not been written to for tempMaxAge.
//
// Flag changes and expunges commit without an fsync (durability relaxed
// in tx.go: synchronous=NORMAL); everything else is durable at COMMIT.
// Files of expunged messages are unlinked only after the WAL is fsynced.
//
// # Concurrency
//
// Every database has a pool of reader connections and a single writer
// connection whose transactions are BEGIN IMMEDIATE, so writers queue on
// SQLite's lock instead of failing with SQLITE_BUSY; WAL mode lets readers
// proceed meanwhile. Several processes may open the same directory (the
// CLI adds a user while the server runs): all state is read from the
// databases, nothing is cached across calls. Within one process an
// account's writes are also serialised by a mutex that is held until
// Options.OnChange has been called, so changes are published in MODSEQ
// order. Changes made by another process are detected by polling and
// published too (see watch.go).
//
// # MODSEQ and UIDVALIDITY
//
// Each write transaction takes at most one new MODSEQ per mailbox
// (HIGHESTMODSEQ+1), given to every message it changes and to the UIDs it
// expunges (RFC 7162 §3.1). A new mailbox incarnation gets UIDVALIDITY
// max(last+1, unix time), so UIDVALIDITY only grows within an account and
// a deleted-and-recreated mailbox never reuses a (UIDVALIDITY, UID) pair
// (RFC 9051 §2.3.1.1). Mailbox ids are AUTOINCREMENT and never reused.
package sqlitestore
