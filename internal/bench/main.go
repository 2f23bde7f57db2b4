// Package bench is an IMAP load generator that drives any IMAP server over
// raw sockets, so that one run measures Petrel and Dovecot side by side.
// Main is the "petrel bench" command: it runs one scenario (see
// scenarioTable) with a number of concurrent clients and prints, per
// command, the operations, their rate, latency percentiles and errors, as
// a table and as one JSON line.
//
// Only loopback targets are accepted unless --allow-remote is given.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Options are the flags of a run.
type Options struct {
	Target       string        // host:port of the IMAP server
	UserTemplate string        // fmt template of user names, with one %d
	Users        int           // users are numbered 1..Users
	Password     string        // everyone's password
	Scenario     string        // a key of scenarioTable
	Clients      int           // concurrent clients (sessions for idle-*)
	Duration     time.Duration // length of timed scenarios
	Messages     int           // messages per user for setup
	TLS          bool          // implicit TLS
	PID          int           // server process for idle-memory
	Seed         uint64        // generator seed
	JSON         bool          // print only the JSON line
	AllowRemote  bool          // accept a non-loopback target
	Rounds       int           // idle-fanout rounds
	Timeout      time.Duration // per command
	Paths        []string      // read-files: globs of files or directories
	Settle       time.Duration // idle-memory: sampling window of each point
	LMTPTarget   string        // lmtp: host:port of the LMTP server
	Corpus       string        // lmtp: data directory of the SpamAssassin corpus
}

// Limits on the flags, so that a typo cannot start a runaway run.
const (
	maxClients  = 100000
	maxUsers    = 1000000
	maxMessages = 10000000
	maxDuration = 24 * time.Hour
	maxRounds   = 1000
)

const usage = `Usage: petrel bench --scenario NAME [flags]

Drives an IMAP server with concurrent clients and reports, per command,
operations, ops/s, latency p50/p90/p99/max and errors, then one JSON line.

Scenarios:
%s
Flags:
`

// Main runs "petrel bench" with args (without the command name) and
// returns the exit code: 0 success, 1 a failed run or errors, 2 usage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "petrel bench:", err)
		return 2
	}
	raiseFileLimit()
	sc, _ := findScenario(opts.Scenario)
	rec := NewRecorder()
	start := time.Now()
	runErr := sc.run(ctx, opts, rec, stderr)
	res := rec.Result(time.Since(start))
	res.Scenario, res.Target, res.Clients = opts.Scenario, opts.Target, opts.Clients
	switch {
	case opts.Scenario == "lmtp":
		res.Target = opts.LMTPTarget
	case !sc.needsServer:
		res.Target = "local"
	}
	if runErr != nil {
		res.Error = runErr.Error()
	}
	if !opts.JSON {
		if err := res.WriteTable(stdout); err != nil {
			return 1
		}
	}
	if err := res.WriteJSON(stdout); err != nil {
		return 1
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "petrel bench:", runErr)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*Options, error) {
	o := &Options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, scenarioHelp())
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Target, "target", "127.0.0.1:143", "IMAP server `host:port` (loopback only without --allow-remote)")
	fs.StringVar(&o.UserTemplate, "user-template", "user%d", "user name `template`; %d is replaced by 1..N")
	fs.IntVar(&o.Users, "users", 1, "number of users `N`")
	fs.StringVar(&o.Password, "password", "", "the users' `password`")
	fs.StringVar(&o.Scenario, "scenario", "", "scenario `name` (required)")
	fs.IntVar(&o.Clients, "clients", 4, "concurrent clients `C` (sessions for idle-fanout and idle-memory)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of a timed scenario")
	fs.IntVar(&o.Messages, "messages", 1000, "messages per user for setup")
	fs.BoolVar(&o.TLS, "tls", false, "connect with implicit TLS (certificate not verified)")
	fs.IntVar(&o.PID, "pid", 0, "server process `id` for idle-memory (children summed)")
	fs.Uint64Var(&o.Seed, "seed", 1, "message generator and randomness `seed`")
	fs.BoolVar(&o.JSON, "json", false, "print only the JSON line")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a non-loopback target")
	fs.IntVar(&o.Rounds, "rounds", 5, "idle-fanout: APPEND rounds")
	fs.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "per-command timeout")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "idle-memory: memory sampling `window` at each point, minimum kept (125s lets a Go server's forced GC run)")
	fs.StringVar(&o.LMTPTarget, "lmtp-target", "127.0.0.1:2424", "lmtp: LMTP server `host:port` (loopback only without --allow-remote)")
	fs.StringVar(&o.Corpus, "corpus", "", "lmtp: SpamAssassin corpus data `directory` (holding spam-1, easy-ham-1, …); --messages is then the total to deliver")
	var paths string
	fs.StringVar(&paths, "path", "", "read-files: comma-separated `globs` of files or directories to read")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for p := range strings.SplitSeq(paths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.Paths = append(o.Paths, p)
		}
	}
	return o, o.validate()
}

func (o *Options) validate() error {
	sc, ok := findScenario(o.Scenario)
	if !ok {
		return fmt.Errorf("unknown --scenario %q; one of: %s", o.Scenario, strings.Join(scenarioNames(), ", "))
	}
	switch {
	case o.Clients < 1 || o.Clients > maxClients:
		return fmt.Errorf("--clients must be 1..%d", maxClients)
	case o.Users < 1 || o.Users > maxUsers:
		return fmt.Errorf("--users must be 1..%d", maxUsers)
	case o.Messages < 0 || o.Messages > maxMessages:
		return fmt.Errorf("--messages must be 0..%d", maxMessages)
	case o.Duration <= 0 || o.Duration > maxDuration:
		return fmt.Errorf("--duration must be in (0, %v]", maxDuration)
	case o.Rounds < 1 || o.Rounds > maxRounds:
		return fmt.Errorf("--rounds must be 1..%d", maxRounds)
	case o.Timeout <= 0 || o.Timeout > time.Hour:
		return errors.New("--timeout must be in (0, 1h]")
	case o.Settle < 0 || o.Settle > time.Hour:
		return errors.New("--settle must be in [0, 1h]")
	case strings.Count(o.UserTemplate, "%") != 1 || !strings.Contains(o.UserTemplate, "%d"):
		return errors.New("--user-template must contain exactly one %d")
	}
	if o.Scenario == "lmtp" {
		return o.checkLMTP()
	}
	if sc.needsPaths && len(o.Paths) == 0 {
		return fmt.Errorf("scenario %s needs --path", o.Scenario)
	}
	if !sc.needsServer {
		return nil
	}
	if o.Password == "" {
		return errors.New("--password is required")
	}
	return checkTarget(o.Target, o.AllowRemote)
}

// checkTarget refuses a target outside 127.0.0.0/8 and ::1 unless
// allowRemote: benchmarks load a server heavily, and the workplace rule is
// that such traffic stays on the machine. Host names other than
// "localhost" are refused for the same reason (they might resolve away).
func checkTarget(target string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("--target %q: %v", target, err)
	}
	if port == "" {
		return fmt.Errorf("--target %q: no port", target)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("--target %q is not a loopback address (127.0.0.0/8, ::1); pass --allow-remote to load another machine", target)
	}
	return nil
}

// user returns the name of user i (1-based).
func (o *Options) user(i int) string {
	return fmt.Sprintf(o.UserTemplate, i)
}

// userOf returns the 1-based user number a client uses.
func (o *Options) userOf(client int) int { return client%o.Users + 1 }

func (o *Options) dialer() *dialer {
	return &dialer{addr: o.Target, tls: o.TLS, timeout: o.Timeout}
}

// extraScenarios are scenarios defined outside scenarioTable's literal,
// with flags of their own (checked in validate).
var extraScenarios = map[string]*scenario{"lmtp": &lmtpScenario, "resync": &resyncScenario}

// findScenario looks a scenario up by name.
func findScenario(name string) (scenario, bool) {
	if sc, ok := extraScenarios[name]; ok {
		return *sc, true
	}
	sc, ok := scenarioTable[name]
	return sc, ok
}

func scenarioNames() []string {
	names := make([]string, 0, len(scenarioTable)+len(extraScenarios))
	for n := range scenarioTable {
		names = append(names, n)
	}
	for n := range extraScenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func scenarioHelp() string {
	var b strings.Builder
	for _, n := range scenarioNames() {
		sc, _ := findScenario(n)
		fmt.Fprintf(&b, "  %-14s %s\n", n, sc.help)
	}
	return b.String()
}

// raiseFileLimit raises RLIMIT_NOFILE to its hard limit, for runs with
// thousands of sessions. Failure is harmless: dials then fail and count
// as errors.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
