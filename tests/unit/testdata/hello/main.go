// hello is the unit tests' Go program: a few ordinary functions, a chain of small helpers
// that the compiler inlines (except in -gcflags=all=-N -l builds), a closure and a generic.
//
// Run as `hello -oracle FRAMES BUILDINFO`, it writes the runtime's own view of itself, the
// oracle for the unit tests: to FRAMES, for each stack captured with runtime.Callers, one
// line per pc with the frame runtime.CallersFrames gives for it (PcLnTab::expand); to
// BUILDINFO, what runtime/debug.ReadBuildInfo says (readBuildInfo). Without arguments it
// just prints a greeting.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

var sink int

//go:noinline
func capture() []uintptr {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(1, pcs) // skips runtime.Callers; the first pc is in capture
	return pcs[:n]
}

// leaf, middle and outer are small enough to be inlined into physical.
func leaf(k int) []uintptr {
	sink += k
	return capture()
}

func middle(k int) []uintptr {
	return leaf(k + 1)
}

func outer(k int) []uintptr {
	return middle(k + 1)
}

//go:noinline
func physical(k int) []uintptr {
	sink++
	return outer(k)
}

type counter struct{ n int }

// A value method inlined into its caller.
func (c counter) grab() []uintptr {
	sink += c.n
	return capture()
}

//go:noinline
func viaMethod() []uintptr {
	c := counter{n: 3}
	return c.grab()
}

// A generic function: its symbol name carries a shape ("main.pick[go.shape.int]").
func pick[T any](v T) []uintptr {
	_ = v
	return capture()
}

//go:noinline
func viaGeneric() []uintptr {
	return pick(42)
}

//go:noinline
func viaClosure() []uintptr {
	f := func() []uintptr { return leaf(7) }
	return f()
}

func writeFrames(w *bufio.Writer, pcs []uintptr) {
	// Callers already lists one pc per logical frame (a virtual pc for every inlined
	// call), so CallersFrames gives exactly one frame per pc.
	frames := runtime.CallersFrames(pcs)
	for i := 0; ; i++ {
		fr, more := frames.Next()
		inlined := 0
		if fr.Func == nil {
			inlined = 1
		}
		// pc (return pc, as Callers gives it), entry of the physical function, inlined,
		// line, function, file
		fmt.Fprintf(w, "%#x\t%#x\t%d\t%d\t%s\t%s\n", pcs[i], fr.Entry, inlined, fr.Line, fr.Function, fr.File)
		if !more {
			if i+1 != len(pcs) {
				fmt.Fprintf(w, "error: %d frames for %d pcs\n", i+1, len(pcs))
			}
			break
		}
	}
	fmt.Fprintln(w, "end")
}

func writeFile(name string, fill func(w *bufio.Writer)) {
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	fill(w)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-oracle" {
		writeFile(os.Args[2], func(w *bufio.Writer) {
			for _, pcs := range [][]uintptr{physical(1), viaMethod(), viaGeneric(), viaClosure()} {
				writeFrames(w, pcs)
			}
		})
		writeFile(os.Args[3], func(w *bufio.Writer) {
			fmt.Fprintf(w, "runtime.Version\t%s\n", runtime.Version())
			bi, ok := debug.ReadBuildInfo()
			if !ok {
				fmt.Fprintln(w, "error: no build info")
				return
			}
			fmt.Fprintf(w, "goversion\t%s\n", bi.GoVersion)
			fmt.Fprintf(w, "path\t%s\n", bi.Path)
			for _, s := range bi.Settings {
				fmt.Fprintf(w, "setting\t%s\t%s\n", s.Key, s.Value)
			}
		})
		return
	}
	fmt.Println(strings.ToUpper("hello"), sink)
}
