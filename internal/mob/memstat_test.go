package mob

import "runtime"

type runtimeMem struct{ allocs uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.allocs = s.Mallocs
}
