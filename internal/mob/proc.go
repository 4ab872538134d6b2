package mob

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go supports.
const clockTick = 100

// ProcStat is what mob reads about the server process tree.
type ProcStat struct {
	RSSKiB int64         // resident memory of the process and its descendants
	CPU    time.Duration // user + system time, descendants and reaped children included
	Procs  int           // processes counted
}

// ReadProc sums RSS and CPU time over pid and every descendant, from /proc.
func ReadProc(pid int) (ProcStat, error) {
	root, err := readStat(pid)
	if err != nil {
		return ProcStat{}, fmt.Errorf("server pid %d: %w", pid, err)
	}
	// Index every process by parent, then walk down from pid.
	kids := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		st, err := readStat(p)
		if err != nil {
			continue // gone since the listing
		}
		kids[st.ppid] = append(kids[st.ppid], p)
	}
	var out ProcStat
	out.CPU = root.cpu + root.childCPU // children already waited for
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out.Procs++
		if p != pid {
			if st, err := readStat(p); err == nil {
				out.CPU += st.cpu
			}
		}
		out.RSSKiB += readRSS(p)
		queue = append(queue, kids[p]...)
	}
	return out, nil
}

type stat struct {
	ppid          int
	cpu, childCPU time.Duration
}

func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return stat{}, err
	}
	return parseStat(b)
}

// parseStat reads fields 4 (ppid) and 14–17 (utime, stime, cutime,
// cstime) of /proc/PID/stat; the command name in parentheses may hold
// spaces, so fields are counted from its closing parenthesis.
func parseStat(b []byte) (stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return stat{}, fmt.Errorf("short /proc stat")
	}
	// f[0] is field 3 (state).
	num := func(k int) int64 { n, _ := strconv.ParseInt(f[k-3], 10, 64); return n }
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTick }
	return stat{
		ppid:     int(num(4)),
		cpu:      tick(num(14) + num(15)),
		childCPU: tick(num(16) + num(17)),
	}, nil
}

// readRSS returns VmRSS of pid in KiB, 0 if unknown.
func readRSS(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// selfCPU returns mob's own user + system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
