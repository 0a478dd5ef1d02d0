//go:build morepkgs

// Built with -tags morepkgs for make-cores.sh's "layout" cores: the same program with more
// of the standard library linked in, so that the runtime's functions and globals sit at
// other addresses, among other neighbours, than in the plain build.
package main

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

func init() {
	words := strings.Fields(fmt.Sprintf("%d %s %q", 42, strconv.Itoa(7), "x"))
	sort.Strings(words)
	layoutSink = bytes.Join([][]byte{[]byte(words[0])}, nil)
}

var layoutSink []byte
