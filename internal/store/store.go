// Package store defines the storage interface the IMAP session sees:
// accounts, mailboxes, messages, flags and change notifications. Backends
// live in subpackages (sqlitestore is the embedded default); every backend
// passes the conformance suite in storetest. Nothing here knows IMAP
// syntax, and nothing above this interface may assume a particular backend.
//
// Mailbox names are UTF-8 with '/' as the hierarchy delimiter (Delim).
// "INBOX" is always spelt in upper case here; the session normalises.
// Flags are stored exactly as given; the session canonicalises system
// flags (\Seen ...) before calling in. \Recent is never stored.
package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

// Delim is the hierarchy delimiter of mailbox names.
const Delim = '/'

// Errors returned by backends; callers test them with errors.Is.
var (
	ErrNoUser        = errors.New("no such user")
	ErrNoAlias       = errors.New("no such alias")
	ErrUserExists    = errors.New("user already exists")
	ErrNoMailbox     = errors.New("no such mailbox")         // NO [NONEXISTENT] / [TRYCREATE]
	ErrMailboxExists = errors.New("mailbox already exists")  // NO [ALREADYEXISTS]
	ErrCannot        = errors.New("operation not permitted") // NO [CANNOT], e.g. delete INBOX
	ErrNoSelect      = errors.New("mailbox cannot be selected")
	ErrTooBig        = errors.New("message too big") // NO [TOOBIG]
	ErrOverQuota     = errors.New("over quota")      // NO [OVERQUOTA]
)

// Options configure a backend when it is opened.
type Options struct {
	// OnChange, when set, is called after every committed change, in
	// MODSEQ order per mailbox, before the mutating call returns. It must
	// not block and must not call back into the store.
	OnChange func(Change)
	// MaxMessageSize caps Append; 0 means no cap.
	MaxMessageSize int64
	// DefaultQuota applies to users without a quota of their own.
	DefaultQuota Quota
	// NoMaintenance tells a short-lived process (a delivery command, the
	// user CLI) to leave start-up maintenance, such as removing files left
	// by a crash, to the long-running server.
	NoMaintenance bool
	// Logger receives what background maintenance cannot report to a
	// caller; nil means slog.Default().
	Logger *slog.Logger
}

// Store is an opened backend.
type Store interface {
	// CreateUser creates an account with the given password hash (an
	// opaque string from internal/auth) and its default mailboxes:
	// INBOX, and Drafts, Sent, Trash, Junk, Archive with their
	// special-use attributes (RFC 6154), all subscribed.
	CreateUser(ctx context.Context, name, passwordHash string) error
	SetPasswordHash(ctx context.Context, name, passwordHash string) error
	// SetQuota gives a user a quota of their own; nil returns the user to
	// Options.DefaultQuota.
	SetQuota(ctx context.Context, name string, q *Quota) error
	// DeleteUser removes the account record; with purge its mail too.
	DeleteUser(ctx context.Context, name string, purge bool) error
	User(ctx context.Context, name string) (UserInfo, error)
	// SetAlias makes address (lower case, as the caller normalised it)
	// deliver to user; it replaces an existing alias. Deleting the user
	// deletes its aliases.
	SetAlias(ctx context.Context, address, user string) error
	DeleteAlias(ctx context.Context, address string) error
	// Alias returns the user an address is an alias of, or ErrNoAlias.
	Alias(ctx context.Context, address string) (string, error)
	Aliases(ctx context.Context) ([]Alias, error)
	Users(ctx context.Context) ([]UserInfo, error)
	// OpenAccount returns a handle to an account's mail. Handles are
	// cheap; the backend shares state between handles of one account.
	OpenAccount(ctx context.Context, name string) (Account, error)
	Close() error
}

// UserInfo describes an account.
type UserInfo struct {
	Name         string
	PasswordHash string
	Created      time.Time
	Quota        *Quota // the user's own quota; nil: Options.DefaultQuota
}

// Alias is one address delivered to a user.
type Alias struct {
	Address, User string
}

// Quota limits an account (RFC 9208 §5): Storage is the sum of the
// RFC822.SIZE of all messages in bytes (a message copied to two
// mailboxes counts twice, as each copy is a message clients see);
// Messages the number of messages. Zero means no limit.
type Quota struct {
	Storage, Messages int64
}

// Usage is what an account uses of its quota, counted as Quota counts.
type Usage struct {
	Storage, Messages int64
}

// Account is one user's mail.
type Account interface {
	Name() string
	// Mailboxes lists all mailboxes, sorted by name.
	Mailboxes(ctx context.Context) ([]MailboxInfo, error)
	// Subscriptions lists subscribed names, which need not exist.
	Subscriptions(ctx context.Context) ([]string, error)
	// CreateMailbox creates name and any missing parents (RFC 9051 §6.3.4).
	// Creating over a \Noselect placeholder makes it selectable again
	// with a new UIDVALIDITY.
	CreateMailbox(ctx context.Context, name string, specialUse []string) error
	// DeleteMailbox deletes name (RFC 9051 §6.3.5): INBOX → ErrCannot; a
	// mailbox with children loses its messages and becomes \Noselect; a
	// \Noselect mailbox with children → ErrCannot.
	DeleteMailbox(ctx context.Context, name string) error
	// RenameMailbox renames from and its children (RFC 9051 §6.3.6),
	// keeping UIDVALIDITY and UIDs; renaming INBOX moves its messages to
	// a new mailbox and leaves INBOX empty. Missing parents of to are
	// created.
	RenameMailbox(ctx context.Context, from, to string) error
	SetSubscribed(ctx context.Context, name string, subscribed bool) error
	// Status reads a mailbox's counters without selecting it.
	Status(ctx context.Context, name string) (MailboxStatus, error)
	// Append stores one message, parsing it in the same pass that writes
	// it, and returns after it is on stable storage.
	// It fails with ErrOverQuota, storing nothing, when the message would
	// take the account over its quota.
	Append(ctx context.Context, name string, msg AppendMessage) (AppendResult, error)
	// Quota returns the account's limits and usage.
	Quota(ctx context.Context) (Quota, Usage, error)
	// Mailbox returns a handle to a mailbox by name. The handle follows
	// the mailbox across renames; after deletion its calls fail with
	// ErrNoMailbox.
	Mailbox(ctx context.Context, name string) (Mailbox, error)
	Close() error
}

// MailboxInfo is one mailbox in a listing.
type MailboxInfo struct {
	ID          int64
	Name        string
	SpecialUse  []string // e.g. `\Sent`
	Subscribed  bool
	NoSelect    bool
	UIDValidity uint32
}

// MailboxStatus holds the counters STATUS and SELECT report.
type MailboxStatus struct {
	ID            int64
	Messages      uint32
	UIDNext       uint32
	UIDValidity   uint32
	Unseen        uint32
	Deleted       uint32
	DeletedSize   int64 // sum of the sizes of \Deleted messages (RFC 9208 DELETED-STORAGE)
	Size          int64 // sum of message sizes (STATUS=SIZE, RFC 8438)
	HighestModSeq uint64
}

// AppendMessage is a message to store.
type AppendMessage struct {
	Flags        []string
	InternalDate time.Time // zero: now
	Body         io.Reader // read to EOF; for literals, exactly Size bytes
	Size         int64     // expected size, or -1 when unknown
}

// AppendResult tells where a message went (RFC 4315 APPENDUID).
type AppendResult struct {
	MailboxID   int64
	UIDValidity uint32
	UID         uint32
}

// MessageMeta is what the shared in-memory mailbox state keeps per message.
type MessageMeta struct {
	UID          uint32
	Flags        []string
	ModSeq       uint64
	InternalDate time.Time
	Size         int64
	// SaveDate is when the message was saved in this mailbox (RFC 8514
	// §3): set by Append, Copy and Move, never copied from a source.
	SaveDate time.Time
	// EmailID identifies the immutable content (RFC 8474 §5.1): copies
	// share it, and it is never reused within the account. ThreadID
	// groups related messages (§5.2), computed once at delivery from
	// References and In-Reply-To; it never changes.
	EmailID, ThreadID int64
}

// Snapshot is a mailbox's whole state, read consistently at HighestModSeq.
type Snapshot struct {
	ID            int64
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
	Keywords      []string      // keywords in use or defined in the mailbox
	Messages      []MessageMeta // sorted by UID
}

// Want selects what Messages loads beyond the metadata.
type Want uint8

const (
	WantHeader    Want = 1 << iota // the top-level header block, exactly as stored
	WantStructure                  // the parsed message model (message.Unmarshal)
	// WantEnvelope loads the IMAP form of the ENVELOPE (RFC 9051 §7.5.2),
	// as message.FormsOf gives it, into MessageData.Envelope.
	WantEnvelope
	// WantBodyStructure loads the IMAP forms of BODY and BODYSTRUCTURE
	// (RFC 9051 §7.5.2) into MessageData.Body and BodyStructure.
	WantBodyStructure
	// WantUIDOnly leaves MessageData.MessageMeta empty but for the UID,
	// for callers that keep the metadata in memory; it saves decoding
	// the flags and dates of every message.
	WantUIDOnly
)

// MessageData is a message's metadata plus what FETCH needs without
// reading the body file. Each byte slice is nil unless its Want bit was
// given; the caller may keep them.
type MessageData struct {
	MessageMeta
	Header    []byte
	Structure []byte
	// Envelope, Body and BodyStructure are preformatted IMAP data,
	// written to the client as they are.
	Envelope, Body, BodyStructure []byte
}

// CopyResult maps source UIDs to destination UIDs (RFC 4315 COPYUID),
// in the same order.
type CopyResult struct {
	DestID          int64
	DestUIDValidity uint32
	SrcUIDs         []uint32
	DestUIDs        []uint32
}

// Mailbox is a handle to one mailbox.
type Mailbox interface {
	ID() int64
	// Snapshot reads the whole state; the session layer keeps it in memory
	// and updates it from Changes.
	Snapshot(ctx context.Context) (*Snapshot, error)
	// Messages calls fn for each of uids that exists, in UID order.
	Messages(ctx context.Context, uids []uint32, want Want, fn func(*MessageData) error) error
	// OpenMessage opens the stored message file for reading ranges.
	OpenMessage(ctx context.Context, uid uint32) (MessageReader, error)
	// StoreFlags changes flags of the given messages; each message whose
	// flags really change gets a new MODSEQ and is returned.
	StoreFlags(ctx context.Context, uids []uint32, mode FlagMode, flags []string) ([]MessageMeta, error)
	// StoreFlagsIf is StoreFlags with the UNCHANGEDSINCE test of RFC 7162
	// §3.1.3, done in the same transaction: a message whose MODSEQ is
	// greater than unchangedSince is left alone and its UID returned in
	// modified. Unconditional disables the test.
	StoreFlagsIf(ctx context.Context, uids []uint32, mode FlagMode, flags []string, unchangedSince uint64) (changed []MessageMeta, modified []uint32, err error)
	// Expunge removes those of uids that have \Deleted, and returns them.
	Expunge(ctx context.Context, uids []uint32) ([]uint32, error)
	// Vanished returns the UIDs expunged with a MODSEQ above since,
	// ascending (QRESYNC, RFC 7162 §3.2.5.1). A backend that prunes this
	// record must return a superset, never miss a UID.
	Vanished(ctx context.Context, since uint64) ([]uint32, error)
	// Copy copies messages (sharing their files) to dest, keeping flags
	// and internal dates; ErrOverQuota if the copies exceed the quota.
	// (Move never does: it does not change the usage.)
	Copy(ctx context.Context, uids []uint32, dest string) (CopyResult, error)
	// Move is Copy then expunge of the sources, atomically (RFC 6851).
	Move(ctx context.Context, uids []uint32, dest string) (CopyResult, error)
	// SearchText returns those of uids (all when nil) whose decoded text
	// contains every one of needles, compared case-insensitively
	// (i;unicode-casemap). With header true, the decoded header fields
	// are searched too (SEARCH TEXT); otherwise the body only (SEARCH BODY).
	SearchText(ctx context.Context, uids []uint32, needles []string, header bool) ([]uint32, error)
	// SearchHeaderText returns those of uids (all when nil, ascending)
	// that may have header fields containing every one of needles
	// (i;unicode-casemap): a prefilter of SEARCH's header keys (FROM,
	// SUBJECT, HEADER ...), which then decide each candidate from its
	// header block. It must return every message whose decoded header
	// text, as SearchText with header true reads it, contains every
	// needle (that text holds each field's value as message.HeaderValues
	// decodes it), and may return others.
	SearchHeaderText(ctx context.Context, uids []uint32, needles []string) ([]uint32, error)
}

// Unconditional is the unchangedSince of a StoreFlagsIf without a test.
// MODSEQ values are 63-bit (RFC 7162 §3.1), so none exceeds it.
const Unconditional = ^uint64(0)

// FlagMode is how StoreFlags applies flags.
type FlagMode int

const (
	FlagsReplace FlagMode = iota
	FlagsAdd
	FlagsRemove
)

// MessageReader reads a stored message.
type MessageReader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// ChangeKind says what a Change is.
type ChangeKind int

const (
	ChangeAppend  ChangeKind = iota + 1 // Messages were added
	ChangeFlags                         // Messages' flags changed
	ChangeExpunge                       // UIDs were removed
	ChangeMailbox                       // a mailbox was created, deleted or renamed (Deleted says which)
)

// Change is one committed change, published to Options.OnChange.
type Change struct {
	Account   string
	MailboxID int64
	Kind      ChangeKind
	ModSeq    uint64 // the mailbox's HIGHESTMODSEQ after the change
	Messages  []MessageMeta
	UIDs      []uint32
	Keywords  []string // ChangeFlags/ChangeAppend: new mailbox keywords, if any were added
	Deleted   bool     // ChangeMailbox: the mailbox no longer exists
	Origin    uint64   // OriginFrom of the mutating call's context
}

type originKey struct{}

// WithOrigin tags ctx so that Changes made through it carry origin; the
// session uses it to tell its own changes from other sessions'.
func WithOrigin(ctx context.Context, origin uint64) context.Context {
	return context.WithValue(ctx, originKey{}, origin)
}

// OriginFrom returns the origin set by WithOrigin, or 0.
func OriginFrom(ctx context.Context) uint64 {
	o, _ := ctx.Value(originKey{}).(uint64)
	return o
}
