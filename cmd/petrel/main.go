// Command petrel is the Petrel IMAP server and its administration tool.
//
//	petrel serve [flags]          run the server
//	petrel deliver [flags] USER   deliver a message from stdin
//	petrel user add|passwd|del|list
//	petrel version
//
// Run "petrel help" for the flags. main only wires the pieces from
// internal/ together: configuration, storage, authentication, TLS and the
// IMAP server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"petrel.dev/petrel/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usageText = `Petrel is an IMAP server.

Usage:
  petrel serve [--config FILE] [--data DIR] [--imap ADDR] [--imaps ADDR]
               [--lmtp ADDR] [--tls-cert FILE --tls-key FILE] [--log-level LEVEL]
  petrel deliver [--data DIR] [--config FILE] [--mailbox NAME] [-f SENDER]
               USER < message
  petrel user add    [--data DIR] [--config FILE] NAME [--password-stdin]
  petrel user passwd [--data DIR] [--config FILE] NAME [--password-stdin]
  petrel user del    [--data DIR] [--config FILE] NAME [--purge]
  petrel user list   [--data DIR] [--config FILE]
  petrel user quota  [--data DIR] [--config FILE] NAME [--storage SIZE] [--messages N] [--default]
  petrel user alias add|del|list [--data DIR] [--config FILE] [ADDRESS [USER]]
  petrel bench --target HOST:PORT --scenario NAME [flags]   (petrel bench -h)
  petrel version
  petrel help

Flags of serve override the configuration file, which overrides the
defaults (see petrel.example.toml). An empty --imap, --imaps or --lmtp
disables that listener. "deliver" is for an MTA's mailbox_command; it
exits with sysexits codes (0, 67 no such user, 75 try again later). The user commands work whether or not a server is running
on the same data directory. Without --password-stdin, "user add" and
"user passwd" generate a password and print it; with it, they read one
line from standard input.

Run "petrel COMMAND -h" for a command's flags.
`

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// env is what a command may touch of the process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run executes the command line args (without the program name) and
// returns the exit code: 0 success, 1 error (one line on stderr), 2 usage.
// ctx ends the server of "serve".
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	err := dispatch(ctx, e, args)
	var ue usageError
	var ec exitCodeError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ec):
		fmt.Fprintf(stderr, "petrel: %v\n", ec.err)
		return ec.code
	case errors.Is(err, flag.ErrHelp):
		return exitOK // the FlagSet printed its usage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "petrel: %s\nRun \"petrel help\" for usage.\n", ue.msg)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "petrel: %v\n", err)
		return exitError
	}
}

func dispatch(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usageText)
		return usageError{"no command given"}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return cmdServe(ctx, e, rest)
	case "user":
		return cmdUser(ctx, e, rest)
	case "deliver":
		return cmdDeliver(ctx, e, rest)
	case "bench":
		if code := bench.Main(ctx, rest, e.stdout, e.stderr); code != 0 {
			return exitCodeError{code, errors.New("bench failed")}
		}
		return nil
	case "version", "--version", "-version":
		return cmdVersion(e, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usageText)
		return nil
	default:
		return usagef("unknown command %q", cmd)
	}
}

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints its usage to e.stderr.
func newFlagSet(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs, allowing flags after positional
// arguments ("user add NAME --password-stdin"); everything after "--" is
// positional. It returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()} // fs has printed the details
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
