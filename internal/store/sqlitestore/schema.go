package sqlitestore

// usersMigrations is the schema of petrel.db; entry i upgrades version i
// to i+1. Append only; never edit a released entry.
var usersMigrations = []string{
	`CREATE TABLE users (
		name          TEXT PRIMARY KEY,
		password_hash TEXT NOT NULL,
		created       INTEGER NOT NULL
	);`,
	// Quotas (RFC 9208): NULL columns follow Options.DefaultQuota.
	`ALTER TABLE users ADD COLUMN quota_storage INTEGER;
	ALTER TABLE users ADD COLUMN quota_messages INTEGER;`,
	// Aliases for LMTP recipient mapping.
	`CREATE TABLE aliases (
		address TEXT PRIMARY KEY,
		user    TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE
	);`,
}

// accountMigrations is the schema of an account's mail.db; entry i
// upgrades version i to i+1. Append only; never edit a released entry.
//
// The triggers keep mailboxes' STATUS counters and files.refs exact under
// every insert, delete and flag update of messages, so no code path can
// forget them and STATUS never scans messages.
var accountMigrations = []string{
	// Entry 0, the initial schema, is accountSchemaV1 below.
	accountSchemaV1,
	// OBJECTID (RFC 8474): the Message-ID of each file, for threading,
	// and each message's thread, copied from its file at insert; an index
	// of expunged UIDs by MODSEQ.
	`ALTER TABLE files ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE files ADD COLUMN thread_id INTEGER NOT NULL DEFAULT 0;
	UPDATE files SET thread_id = id;
	CREATE INDEX files_message_id ON files(message_id) WHERE message_id != '';
	ALTER TABLE messages ADD COLUMN thread_id INTEGER NOT NULL DEFAULT 0;
	UPDATE messages SET thread_id = file_id;
	-- QRESYNC's VANISHED and other processes' expunges, by MODSEQ.
	CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);`,
	// SEARCH prefilter (fts.go): trigram indexes of the folded search
	// text, rowid = file id, filled in the background up to the
	// watermark meta('fts_indexed'); a deleted file leaves both at once.
	`CREATE VIRTUAL TABLE search_body_fts USING fts5(body, content='', contentless_delete=1,
		detail=none, tokenize='trigram case_sensitive 1');
	CREATE VIRTUAL TABLE search_header_fts USING fts5(header, content='', contentless_delete=1,
		detail=none, tokenize='trigram case_sensitive 1');
	CREATE TRIGGER files_fts AFTER DELETE ON files
	WHEN OLD.id <= coalesce((SELECT v FROM meta WHERE k = 'fts_indexed'), 0) BEGIN
		DELETE FROM search_body_fts WHERE rowid = OLD.id;
		DELETE FROM search_header_fts WHERE rowid = OLD.id;
	END;`,
	// FETCH ENVELOPE/BODY/BODYSTRUCTURE (forms.go): the IMAP forms of
	// each file in small rows of their own, filled from files.structure
	// by petrel_form at every insert and here for the files already
	// stored; NULL where the blob does not decode.
	`CREATE TABLE envelopes (
		file_id  INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
		envelope BLOB
	);
	CREATE TABLE bodies (
		file_id       INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
		body          BLOB,
		bodystructure BLOB
	);
	CREATE TRIGGER files_forms AFTER INSERT ON files BEGIN
		INSERT INTO envelopes(file_id, envelope) VALUES (NEW.id, petrel_form(NEW.structure, 0));
		INSERT INTO bodies(file_id, body, bodystructure)
			VALUES (NEW.id, petrel_form(NEW.structure, 1), petrel_form(NEW.structure, 2));
	END;
	INSERT INTO envelopes(file_id, envelope) SELECT id, petrel_form(structure, 0) FROM files;
	INSERT INTO bodies(file_id, body, bodystructure)
		SELECT id, petrel_form(structure, 1), petrel_form(structure, 2) FROM files;`,
	// Messages up to inlineMax bytes (append.go) are stored here instead
	// of in msg/: one WAL fsync makes them durable. NULL data is an
	// empty message.
	`CREATE TABLE contents (
		file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
		data    BLOB
	);`,
}

// accountSchemaV1 is the first account schema.
const accountSchemaV1 = `CREATE TABLE meta (
		k TEXT PRIMARY KEY,
		v INTEGER NOT NULL
	);
	CREATE TABLE mailboxes (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		name          TEXT NOT NULL UNIQUE,
		special_use   TEXT NOT NULL DEFAULT '',
		noselect      INTEGER NOT NULL DEFAULT 0,
		uidvalidity   INTEGER NOT NULL,
		uidnext       INTEGER NOT NULL DEFAULT 1,
		highestmodseq INTEGER NOT NULL DEFAULT 1,
		messages      INTEGER NOT NULL DEFAULT 0,
		unseen        INTEGER NOT NULL DEFAULT 0,
		deleted       INTEGER NOT NULL DEFAULT 0,
		size          INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE subscriptions (
		name TEXT PRIMARY KEY
	);
	CREATE TABLE files (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		refs      INTEGER NOT NULL DEFAULT 0,
		size      INTEGER NOT NULL,
		header    BLOB NOT NULL,
		structure BLOB NOT NULL
	);
	-- Files no message references any more, found without a scan.
	CREATE INDEX files_free ON files(id) WHERE refs <= 0;
	CREATE TABLE search (
		file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
		body    BLOB NOT NULL,
		header  BLOB NOT NULL
	);
	CREATE TABLE messages (
		mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
		uid           INTEGER NOT NULL,
		file_id       INTEGER NOT NULL, -- no REFERENCES: refs guards it, and a foreign key would scan messages on every freed file
		flags         TEXT NOT NULL DEFAULT '',
		seen          INTEGER NOT NULL DEFAULT 0,
		deleted       INTEGER NOT NULL DEFAULT 0,
		internal_date INTEGER NOT NULL,
		internal_tz   INTEGER NOT NULL DEFAULT 0,
		size          INTEGER NOT NULL,
		modseq        INTEGER NOT NULL,
		savedate      INTEGER NOT NULL,
		PRIMARY KEY (mailbox_id, uid)
	) WITHOUT ROWID;
	CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);
	CREATE TABLE expunged (
		mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
		uid        INTEGER NOT NULL,
		modseq     INTEGER NOT NULL,
		PRIMARY KEY (mailbox_id, uid)
	) WITHOUT ROWID;
	CREATE TABLE keywords (
		mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
		name       TEXT NOT NULL COLLATE NOCASE,
		PRIMARY KEY (mailbox_id, name)
	) WITHOUT ROWID;
	CREATE TRIGGER messages_insert AFTER INSERT ON messages BEGIN
		UPDATE mailboxes SET messages = messages + 1,
			unseen = unseen + 1 - NEW.seen,
			deleted = deleted + NEW.deleted,
			size = size + NEW.size
		WHERE id = NEW.mailbox_id;
		UPDATE files SET refs = refs + 1 WHERE id = NEW.file_id;
	END;
	CREATE TRIGGER messages_delete AFTER DELETE ON messages BEGIN
		UPDATE mailboxes SET messages = messages - 1,
			unseen = unseen - 1 + OLD.seen,
			deleted = deleted - OLD.deleted,
			size = size - OLD.size
		WHERE id = OLD.mailbox_id;
		UPDATE files SET refs = refs - 1 WHERE id = OLD.file_id;
	END;
	CREATE TRIGGER messages_update AFTER UPDATE OF seen, deleted ON messages BEGIN
		UPDATE mailboxes SET unseen = unseen + OLD.seen - NEW.seen,
			deleted = deleted - OLD.deleted + NEW.deleted
		WHERE id = NEW.mailbox_id;
	END;`
