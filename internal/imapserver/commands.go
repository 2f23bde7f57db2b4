package imapserver

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"petrel.dev/petrel/internal/imap"
)

type handler func(s *session, cmd *imap.Command) error

// cmdSpec says in which states a command is valid (RFC 9051 §6) and how
// pending mailbox updates may be sent after it.
type cmdSpec struct {
	states connState
	fn     handler
	// seqNumbers: the non-UID form uses message sequence numbers, so
	// EXPUNGE responses must wait (RFC 9051 §7.5.1).
	seqNumbers bool
	// noUpdates: the handler sends updates itself (or must send none).
	noUpdates bool
}

var commands map[string]cmdSpec

func init() {
	commands = map[string]cmdSpec{
		// RFC 9051 §6.1: any state.
		"CAPABILITY": {states: anyState, fn: (*session).cmdCapability},
		"NOOP":       {states: anyState, fn: (*session).cmdNoop},
		"LOGOUT":     {states: anyState, fn: (*session).cmdLogout, noUpdates: true},
		"ID":         {states: anyState, fn: (*session).cmdID},
		// §6.2: not authenticated.
		"STARTTLS":     {states: stateNotAuth, fn: (*session).cmdStartTLS},
		"AUTHENTICATE": {states: stateNotAuth, fn: (*session).cmdAuthenticate},
		"LOGIN":        {states: stateNotAuth, fn: (*session).cmdLogin},
		// §6.3: authenticated (and selected).
		"ENABLE":      {states: authedOnly, fn: (*session).cmdEnable},
		"SELECT":      {states: authedOnly, fn: (*session).cmdSelect, noUpdates: true},
		"EXAMINE":     {states: authedOnly, fn: (*session).cmdSelect, noUpdates: true},
		"CREATE":      {states: authedOnly, fn: (*session).cmdCreate},
		"DELETE":      {states: authedOnly, fn: (*session).cmdDelete},
		"RENAME":      {states: authedOnly, fn: (*session).cmdRename},
		"SUBSCRIBE":   {states: authedOnly, fn: (*session).cmdSubscribe},
		"UNSUBSCRIBE": {states: authedOnly, fn: (*session).cmdSubscribe},
		"LIST":        {states: authedOnly, fn: (*session).cmdList},
		"LSUB":        {states: authedOnly, fn: (*session).cmdList},
		"NAMESPACE":   {states: authedOnly, fn: (*session).cmdNamespace},
		"STATUS":      {states: authedOnly, fn: (*session).cmdStatus},
		"APPEND":      {states: authedOnly, fn: (*session).cmdAppend},
		"IDLE":        {states: authedOnly, fn: (*session).cmdIdle, noUpdates: true},
		// RFC 9208 §4.1.
		"GETQUOTA":     {states: authedOnly, fn: (*session).cmdGetQuota},
		"GETQUOTAROOT": {states: authedOnly, fn: (*session).cmdGetQuotaRoot},
		"SETQUOTA":     {states: authedOnly, fn: (*session).cmdSetQuota},
		// §6.4: selected.
		"CHECK":    {states: stateSelected, fn: (*session).cmdNoop},
		"CLOSE":    {states: stateSelected, fn: (*session).cmdClose, noUpdates: true},
		"UNSELECT": {states: stateSelected, fn: (*session).cmdClose, noUpdates: true},
		"EXPUNGE":  {states: stateSelected, fn: (*session).cmdExpunge},
		"SEARCH":   {states: stateSelected, fn: (*session).cmdSearch, seqNumbers: true},
		"FETCH":    {states: stateSelected, fn: (*session).cmdFetch, seqNumbers: true},
		"STORE":    {states: stateSelected, fn: (*session).cmdStore, seqNumbers: true},
		"COPY":     {states: stateSelected, fn: (*session).cmdCopy},
		"MOVE":     {states: stateSelected, fn: (*session).cmdMove},
	}
}

// capabilities lists what this session may be told (RFC 9051 §6.1.1);
// only complete features are advertised. The list depends on a few bits
// of session state and the server's APPENDLIMIT only, so each variant is
// built once and shared: the greeting and the LOGIN response of every
// session carry it.
func (s *session) capabilities() string {
	k := capKey{
		notAuth:   s.state == stateNotAuth,
		tls:       s.tls,
		starttls:  s.srv.opts.TLS != nil,
		plain:     s.plaintextAllowed(),
		maxAppend: s.srv.opts.Limits.MaxAppend,
	}
	return capCache.get(k)
}

// capKey is everything the capability list depends on.
type capKey struct {
	notAuth, tls, starttls, plain bool
	maxAppend                     int64
}

// maxCapCache bounds capCache: 16 variants per APPENDLIMIT, and a process
// normally runs one server with one limit.
const maxCapCache = 256

// capCache holds the capability strings built so far.
var capCache = capStrings{m: make(map[capKey]string)}

type capStrings struct {
	mu sync.RWMutex
	m  map[capKey]string // guarded by mu
}

func (c *capStrings) get(k capKey) string {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = k.build()
	c.mu.Lock()
	if len(c.m) < maxCapCache {
		c.m[k] = v
	}
	c.mu.Unlock()
	return v
}

// build spells the capability list of k.
func (k capKey) build() string {
	caps := []string{"IMAP4rev1", "IMAP4rev2"}
	if k.notAuth {
		if !k.tls && k.starttls {
			caps = append(caps, "STARTTLS")
		}
		// SCRAM never sends the password, so it is offered on cleartext
		// too; -PLUS needs a TLS channel to bind to (RFC 5802 §6).
		caps = append(caps, "AUTH=SCRAM-SHA-256")
		if k.tls {
			caps = append(caps, "AUTH=SCRAM-SHA-256-PLUS")
		}
		if k.plain {
			caps = append(caps, "AUTH=PLAIN", "AUTH=LOGIN")
		} else {
			caps = append(caps, "LOGINDISABLED")
		}
		caps = append(caps, "SASL-IR")
	}
	caps = append(caps, "ENABLE", "IDLE", "NAMESPACE", "ID", "UNSELECT", "UIDPLUS",
		"MOVE", "CHILDREN", "LITERAL+", "CONDSTORE", "QRESYNC", "SAVEDATE", "OBJECTID", "UIDONLY",
		"QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "PREVIEW", "ESEARCH", "SEARCHRES", "LIST-EXTENDED",
		"LIST-STATUS", "SPECIAL-USE", "MULTIAPPEND", "BINARY", "STATUS=SIZE",
		"APPENDLIMIT="+strconv.FormatInt(k.maxAppend, 10))
	return strings.Join(caps, " ")
}

// plaintextAllowed: RFC 9051 §11.1 / RFC 8314: no cleartext passwords
// off loopback unless the operator explicitly allows it.
func (s *session) plaintextAllowed() bool {
	return s.tls || s.remote.IsLoopback() || s.srv.opts.InsecureAuth
}

func (s *session) cmdCapability(cmd *imap.Command) error {
	s.untagged("CAPABILITY " + s.capabilities())
	return nil
}

// writeCompleted writes the tagged "OK <command> completed" (RFC 9051
// §7.1) piece by piece: a line built first would be allocated for every
// command, NOOP included. Tag and name are atoms, so the line needs none
// of writeStatus's sanitising.
func (s *session) writeCompleted(cmd *imap.Command) {
	s.enc.Raw(cmd.Tag).Raw(" OK ")
	if cmd.UID {
		s.enc.Raw("UID ")
	}
	s.enc.Raw(cmd.Name).Raw(" completed").CRLF()
}

// asStatusResp returns the *statusResp in err's chain, or nil. The
// common unwrapped case is tested first: errors.As needs its target on
// the heap.
func asStatusResp(err error) *statusResp {
	if err == nil {
		return nil
	}
	if sr, ok := err.(*statusResp); ok {
		return sr
	}
	var sr *statusResp
	if errors.As(err, &sr) {
		return sr
	}
	return nil
}

// traceCommand logs a finished command at debug level, without its
// arguments, so passwords and message contents never reach the log. The
// level is checked first: building the attributes allocates, and this
// runs after every command, NOOP included.
func (s *session) traceCommand(cmd *imap.Command, result, code string, start time.Time) {
	if !s.log.Enabled(s.ctx, slog.LevelDebug) {
		return
	}
	if code == "" {
		s.log.Debug("command", "tag", cmd.Tag, "cmd", commandName(cmd), "result", result, "duration", time.Since(start))
		return
	}
	s.log.Debug("command", "tag", cmd.Tag, "cmd", commandName(cmd), "result", result, "code", code, "duration", time.Since(start))
}

// cmdNoop implements NOOP (RFC 9051 §6.1.2) and the IMAP4rev1 CHECK
// (RFC 3501 §6.4.1; RFC 9051 Appendix E, item 17: removed, "Clients
// should use NOOP instead"). It does nothing itself: execute then sends
// the pending updates of the selected mailbox, which the session learned
// of through the hub (mailboxstate.go), so no storage is read.
func (s *session) cmdNoop(cmd *imap.Command) error { return nil }

func (s *session) cmdLogout(cmd *imap.Command) error {
	s.untagged("BYE Logging out")
	s.writeStatus(cmd.Tag, "OK", "", "LOGOUT completed")
	s.state = stateLogout
	return nil
}

// cmdID answers RFC 2971 ID with the server's identity.
func (s *session) cmdID(cmd *imap.Command) error {
	if args, ok := cmd.Args.(*imap.IDArgs); ok && args.Params != nil {
		var parts []string
		for k, v := range args.Params {
			val := "NIL"
			if v != nil {
				val = strconv.Quote(*v)
			}
			parts = append(parts, k+"="+val)
		}
		s.log.Debug("client id", "id", strings.Join(parts, " "))
	}
	s.untagged(`ID ("name" "Petrel" "vendor" "Petrel")`)
	return nil
}

// cmdEnable implements RFC 9051 §6.3.1 and RFC 5161. IMAP4rev2 is the
// only extension Petrel needs enabled; unknown names are ignored.
func (s *session) cmdEnable(cmd *imap.Command) error {
	args := cmd.Args.(*imap.EnableArgs)
	var enabled []string
	for _, c := range args.Caps {
		switch strings.ToUpper(c) {
		case "CONDSTORE":
			if !s.condstore {
				s.enableCondstore()
				enabled = append(enabled, "CONDSTORE")
			}
		case "QRESYNC":
			// RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
			if !s.qresync {
				s.qresync = true
				s.enableCondstore()
				enabled = append(enabled, "QRESYNC")
			}
		case "UIDONLY":
			if !s.uidonly {
				s.uidonly = true
				enabled = append(enabled, "UIDONLY")
			}
		case "IMAP4REV2":
			if !s.rev2 {
				// RFC 9051 §5.1: from now on mailbox names are UTF-8,
				// not modified UTF-7, in both directions.
				s.rev2 = true
				s.dec.SetUTF8(true)
				s.enc.SetUTF8(true)
				enabled = append(enabled, "IMAP4rev2")
			}
		}
	}
	line := "ENABLED"
	for _, e := range enabled {
		line += " " + e
	}
	s.untagged(line)
	return nil
}

// fetchStart writes the start of an untagged FETCH response for the
// message: "* seq FETCH (", or with UIDONLY "* uid UIDFETCH (" (RFC 9586
// §3.3), where the UID is the response's number.
func (s *session) fetchStart(seq, uid uint32) {
	if s.uidonly {
		s.enc.Raw("* ").Number(uid).Raw(" UIDFETCH (")
		return
	}
	s.enc.Raw("* ").Number(seq).Raw(" FETCH (")
}

// needsUID tells whether a FETCH response must carry the UID item:
// always in answer to UID commands and in unsolicited ones (RFC 9051
// §6.4.9, RFC 7162 §3.2.5.1), but not in UIDFETCH, where the UID leads.
func (s *session) needsUID() bool { return !s.uidonly }

// uidRequired refuses, after ENABLE UIDONLY, a command that uses message
// sequence numbers (RFC 9586 §3).
func (s *session) uidRequired(cmd *imap.Command) error {
	if !s.uidonly {
		return nil
	}
	switch cmd.Name {
	case "FETCH", "STORE", "COPY", "MOVE", "SEARCH":
		if !cmd.UID {
			return respBad("UIDREQUIRED", cmd.Name+" uses message sequence numbers; use UID "+cmd.Name)
		}
	}
	if args, ok := cmd.Args.(*imap.SearchArgs); ok && usesSeqSet(args.Key) {
		return respBad("UIDREQUIRED", "Message sequence numbers in a search key")
	}
	if args, ok := cmd.Args.(*imap.SelectArgs); ok && args.QResync != nil && args.QResync.SeqMatch {
		return respBad("UIDREQUIRED", "QRESYNC sequence match data uses message sequence numbers")
	}
	return nil
}

// usesSeqSet reports whether a search program names sequence numbers.
func usesSeqSet(k imap.SearchKey) bool {
	if k.Op == imap.SearchSeqSet && !k.Set.Saved {
		return true
	}
	for _, sub := range k.Sub {
		if usesSeqSet(sub) {
			return true
		}
	}
	return false
}

// enableCondstore makes the session CONDSTORE-aware. RFC 7162 §3.1: the
// first enabling command with a mailbox selected reports its
// HIGHESTMODSEQ.
func (s *session) enableCondstore() {
	if s.condstore {
		return
	}
	s.condstore = true
	if s.sel != nil {
		s.untagged("OK [HIGHESTMODSEQ " + strconv.FormatUint(s.sel.box.highestModSeqNow(), 10) + "] Highest")
	}
}

// cmdNamespace implements RFC 9051 §6.3.10: one personal namespace.
func (s *session) cmdNamespace(cmd *imap.Command) error {
	s.untagged(`NAMESPACE (("" "/")) NIL NIL`)
	return nil
}
