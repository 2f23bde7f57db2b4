package bench

// Physical-limit references: what the machine can do at best, so that a
// server's numbers can be read against them.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// runEcho starts a Go TCP echo server on 127.0.0.1 in-process and has
// o.Clients clients send one short line and read it back, as a NOOP
// round trip would: the loopback round-trip ceiling of this machine.
func runEcho(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn // guarded by mu
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadSlice('\n')
					if err != nil {
						return
					}
					if _, err := c.Write(line); err != nil {
						return
					}
				}
			}()
		}
	}()
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	}()
	addr := ln.Addr().String()
	return runWorkers(ctx, o, rec, nil, func(ctx context.Context, w *worker) error {
		if w.c == nil {
			nd := net.Dialer{Timeout: o.Timeout}
			nc, err := nd.DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			w.c = &client{nc: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc), timeout: o.Timeout}
		}
		c := w.c
		return w.do("ROUNDTRIP", func(*client) error {
			_ = c.nc.SetDeadline(time.Now().Add(o.Timeout))
			c.w.WriteString("a1 NOOP\r\n")
			if err := c.w.Flush(); err != nil {
				return err
			}
			l, err := c.readPart()
			if err == nil && string(l) != "a1 NOOP" {
				err = fmt.Errorf("echo returned %q", l)
			}
			return err
		})
	})
}

// maxReadFiles bounds the files read-files visits.
const maxReadFiles = 10_000_000

// runReadFiles reads every regular file under the --path globs once and
// reports the throughput: the ceiling for serving message bodies from
// this storage (warm or cold page cache as the caller arranged).
func runReadFiles(ctx context.Context, o *Options, rec *Recorder, _ io.Writer) error {
	var files []string
	for _, pat := range o.Paths {
		matches, err := filepath.Glob(pat)
		if err != nil {
			return fmt.Errorf("--path %q: %w", pat, err)
		}
		for _, m := range matches {
			err := filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if len(files) >= maxReadFiles {
					return errors.New("too many files")
				}
				if d.Type().IsRegular() {
					files = append(files, p)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	if len(files) == 0 {
		return errors.New("--path matched no file")
	}
	jobs := make(chan string)
	var wg sync.WaitGroup
	buf := func() []byte { return make([]byte, 256<<10) }
	for range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := buf()
			for p := range jobs {
				start := time.Now()
				n, err := readAll(p, b)
				rec.Done("READ file", time.Since(start), n, err)
			}
		}()
	}
	for _, p := range files {
		if ctx.Err() != nil {
			break
		}
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

// readAll reads the file at p through buf and returns its size.
func readAll(p string, buf []byte) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	for {
		k, err := f.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// runFanoutCeiling runs idle-fanout against an in-process responder that
// does the least an IMAP server can: it answers LOGIN and SELECT at once
// and, for each APPEND, writes "* n EXISTS" to every connection in IDLE,
// one goroutine per processor, with no mailbox, session state or storage
// behind it. Its notify latencies are the fan-out ceiling of this
// machine: the cost of one loopback write per session and of the client
// reading them.
func runFanoutCeiling(ctx context.Context, o *Options, rec *Recorder, stderr io.Writer) error {
	var addr string
	var stop func()
	var err error
	if responderInProcess {
		addr, stop, err = listenFanout()
	} else {
		addr, stop, err = startFanoutResponder(ctx)
	}
	if err != nil {
		return err
	}
	defer stop()
	oo := *o
	oo.Target = addr
	oo.Password = "x"
	return runIdleFanout(ctx, &oo, rec, stderr)
}

// responderInProcess makes fanout-ceiling serve from its own process
// (tests); else the responder is a child process, as a real server would
// be, so that each side has its own file descriptor limit and runtime.
var responderInProcess = false

// startFanoutResponder runs "petrel bench --scenario fanout-responder" as
// a child process and returns its address and a function that ends it.
func startFanoutResponder(ctx context.Context) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "bench", "--scenario", "fanout-responder")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("fan-out responder did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return addr, stop, nil
}

// runFanoutResponder is the child process of fanout-ceiling: it serves
// on a loopback port, prints "listening ADDR" and ends when its standard
// input closes.
func runFanoutResponder(ctx context.Context, _ *Options, _ *Recorder, _ io.Writer) error {
	addr, stop, err := listenFanout()
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(os.Stdout, "listening %s\n", addr)
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return nil
}

// listenFanout starts a fanoutResponder on a loopback port.
func listenFanout() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	f := &fanoutResponder{}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fc := &fanoutConn{c: c}
			f.mu.Lock()
			f.all = append(f.all, fc)
			f.mu.Unlock()
			f.wg.Add(1)
			go f.serve(fc)
		}
	}()
	stop := func() {
		ln.Close()
		f.mu.Lock()
		for _, fc := range f.all {
			fc.c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	}
	return ln.Addr().String(), stop, nil
}

// fanoutResponder is the server of runFanoutCeiling.
type fanoutResponder struct {
	wg     sync.WaitGroup
	mu     sync.Mutex
	all    []*fanoutConn // guarded by mu
	idle   []*fanoutConn // guarded by mu
	exists int           // guarded by mu
}

// fanoutConn is one connection; mu orders its writes.
type fanoutConn struct {
	c  net.Conn
	mu sync.Mutex
}

func (fc *fanoutConn) write(s string) error {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	_, err := io.WriteString(fc.c, s)
	return err
}

func (f *fanoutResponder) serve(fc *fanoutConn) {
	defer f.wg.Done()
	r := bufio.NewReader(fc.c)
	if fc.write("* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] fan-out ceiling\r\n") != nil {
		return
	}
	idleTag := ""
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		l := strings.TrimRight(string(line), "\r\n")
		tag, rest, _ := strings.Cut(l, " ")
		cmd, _, _ := strings.Cut(rest, " ")
		var reply string
		switch {
		case strings.EqualFold(tag, "DONE") && idleTag != "":
			reply, idleTag = idleTag+" OK IDLE completed\r\n", ""
		case strings.EqualFold(cmd, "SELECT"):
			f.mu.Lock()
			n := f.exists
			f.mu.Unlock()
			reply = fmt.Sprintf("* %d EXISTS\r\n%s OK [READ-WRITE] SELECT completed\r\n", n, tag)
		case strings.EqualFold(cmd, "IDLE"):
			idleTag, reply = tag, "+ idling\r\n"
			f.mu.Lock()
			f.idle = append(f.idle, fc)
			f.mu.Unlock()
		case strings.EqualFold(cmd, "APPEND"):
			size, ok := literalSize([]byte(l))
			if !ok {
				reply = tag + " BAD literal expected\r\n"
				break
			}
			if !strings.HasSuffix(l, "+}") && fc.write("+ go\r\n") != nil {
				return
			}
			if _, err := io.CopyN(io.Discard, r, size); err != nil {
				return
			}
			if _, err := r.ReadSlice('\n'); err != nil {
				return
			}
			f.mu.Lock()
			f.exists++
			msg := fmt.Sprintf("* %d EXISTS\r\n", f.exists)
			idle := f.idle[:len(f.idle):len(f.idle)]
			f.mu.Unlock()
			broadcast(idle, msg)
			reply = tag + " OK APPEND completed\r\n"
		case strings.EqualFold(cmd, "LOGOUT"):
			fc.write("* BYE\r\n" + tag + " OK LOGOUT completed\r\n")
			return
		default:
			reply = tag + " OK done\r\n"
		}
		if fc.write(reply) != nil {
			return
		}
	}
}

// broadcast writes msg to every connection, spread over one goroutine
// per processor, and returns without waiting for them.
func broadcast(conns []*fanoutConn, msg string) {
	n := min(runtime.GOMAXPROCS(0), len(conns))
	for i := range n {
		part := conns[i*len(conns)/n : (i+1)*len(conns)/n]
		go func() {
			for _, fc := range part {
				fc.write(msg)
			}
		}()
	}
}
