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
	"path/filepath"
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
