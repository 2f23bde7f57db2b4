package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxProcs bounds the /proc scan.
const maxProcs = 1 << 20

// parseVmRSS returns the VmRSS of a /proc/PID/status text, in KB.
func parseVmRSS(status []byte) (int64, error) {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("malformed VmRSS line %q", line)
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	// Kernel threads and zombies have no VmRSS.
	return 0, errors.New("no VmRSS line")
}

// parsePss returns the Pss of a /proc/PID/smaps_rollup text, in KB: the
// process's resident memory with each shared page divided among the
// processes sharing it, which is what a forking server really costs.
func parsePss(rollup []byte) (int64, error) {
	for line := range bytes.SplitSeq(rollup, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("Pss:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("malformed Pss line %q", line)
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, errors.New("no Pss line")
}

// parsePPid returns the parent process id in a /proc/PID/stat text. The
// command name (field 2) is in parentheses and may itself contain spaces
// and parentheses, so the fields are counted from the last ')'.
func parsePPid(stat []byte) (int, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed stat: no ')'")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0, errors.New("malformed stat: too few fields")
	}
	return strconv.Atoi(f[1]) // f[0] is the state, f[1] the ppid
}

// descendants returns pid and every process whose parent chain includes
// pid, given a child → parent map.
func descendants(pid int, parent map[int]int) []int {
	out := []int{pid}
	for p := range parent {
		seen := 0
		for q := parent[p]; q > 1 && seen < 64; q, seen = parent[q], seen+1 {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// treeMem is the memory of a process tree.
type treeMem struct {
	rssKB, pssKB int64 // summed VmRSS and Pss (0 when smaps_rollup is unreadable)
	procs        int
}

// treeRSS returns the summed VmRSS (and Pss) of pid and its descendants,
// and how many processes that is. Processes that vanish meanwhile are
// skipped.
func treeRSS(pid int) (treeMem, error) {
	var m treeMem
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err != nil {
		return m, fmt.Errorf("--pid %d: %w", pid, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return m, err
	}
	parent := map[int]int{}
	for _, e := range entries[:min(len(entries), maxProcs)] {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if pp, err := parsePPid(b); err == nil {
			parent[p] = pp
		}
	}
	for _, p := range descendants(pid, parent) {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "status"))
		if err != nil {
			continue
		}
		v, err := parseVmRSS(b)
		if err != nil {
			continue
		}
		m.rssKB += v
		m.procs++
		if b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "smaps_rollup")); err == nil {
			if v, err := parsePss(b); err == nil {
				m.pssKB += v
			}
		}
	}
	if m.procs == 0 {
		return m, fmt.Errorf("--pid %d: no readable VmRSS", pid)
	}
	return m, nil
}

// minAvailablePct is the share of RAM below which idle scenarios stop
// opening sessions, so that a server using much memory per session
// cannot take the machine down.
const minAvailablePct = 15

// parseMemAvailable returns MemTotal and MemAvailable of a /proc/meminfo
// text, in KB.
func parseMemAvailable(meminfo []byte) (total, avail int64, err error) {
	for line := range bytes.SplitSeq(meminfo, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) != 3 {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			total = v
		case "MemAvailable:":
			avail = v
		}
	}
	if total <= 0 || avail < 0 {
		return 0, 0, errors.New("no MemTotal/MemAvailable")
	}
	return total, avail, nil
}

// lowMemory reports whether less than minAvailablePct of RAM is available.
func lowMemory() bool {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return false
	}
	total, avail, err := parseMemAvailable(b)
	return err == nil && avail*100 < total*minAvailablePct
}
