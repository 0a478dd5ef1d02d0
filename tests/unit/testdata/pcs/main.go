// pcs prints the pcs that build-testbins.sh asks `go tool addr2line` about, one per line in
// hex: the entry, middle and last byte of every function symbol in .text (when the binary
// has a symbol table), and 2000 pcs spread evenly over .text and a little past its end.
package main

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pcs BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	text := f.Section(".text")
	if text == nil {
		fmt.Fprintln(os.Stderr, "no .text section")
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size == 0 ||
				s.Value < text.Addr || s.Value >= text.Addr+text.Size {
				continue
			}
			fmt.Fprintf(w, "%#x\n%#x\n%#x\n", s.Value, s.Value+s.Size/2, s.Value+s.Size-1)
		}
	}
	step := text.Size / 2000
	if step == 0 {
		step = 1
	}
	for pc := text.Addr; pc < text.Addr+text.Size+64; pc += step {
		fmt.Fprintf(w, "%#x\n", pc)
	}
}
