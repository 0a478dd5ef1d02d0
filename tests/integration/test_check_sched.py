#!/usr/bin/python3
"""Self-tests of check_sched.py: the SCHED-block parser on real printouts (a live run, a
block caught in motion, crash-time blocks with their dumps: samples below, captured from
the fixtures with Go 1.21 and 1.27), the truth lines, and the comparisons: a perfect
answer (faked from the samples, as --dry-run does) passes, and each kind of wrong answer
fails with a message naming the P, M, G or thread, the field and both values. If the
fixtures are built (GOINSPECT_FIXTURE_DIR), a fresh run of the sched fixture with every
toolchain there must reach a block at rest that agrees with its truth lines. Plain
unittest, standard library, no plugin needed."""

import copy
import glob
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_sched as cs  # noqa: E402
import crashdump  # noqa: E402

# go1.21 plain `sched hang`, GODEBUG=schedtrace=100,scheddetail=1: the last two blocks
# of a run (equal but for the timestamp), then a block being written (cut in its third line).
LIVE21 = """\
SCHED 544ms: gomaxprocs=4 idleprocs=4 threads=9 spinningthreads=0 needspinning=0 idlethreads=4 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=4 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P1: status=0 schedtick=1101 syscalltick=11 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P2: status=0 schedtick=6 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P3: status=0 schedtick=1 syscalltick=4 m=nil runqsize=0 gfreecnt=0 timerslen=0
  M8: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M7: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M6: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M5: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M4: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M3: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M2: p=nil curg=17 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=17
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=2 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=9
  G1: status=4(sleep) m=nil lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G5: status=4(finalizer wait) m=nil lockedm=nil
  G6: status=4(chan receive) m=nil lockedm=nil
  G7: status=4(chan receive) m=nil lockedm=nil
  G8: status=4(chan receive) m=nil lockedm=nil
  G9: status=4(chan receive) m=nil lockedm=0
  G17: status=3() m=2 lockedm=2
  G10: status=4(sleep) m=nil lockedm=nil
  G11: status=4(GC worker (idle)) m=nil lockedm=nil
  G18: status=4(GC worker (idle)) m=nil lockedm=nil
  G33: status=4(GC worker (idle)) m=nil lockedm=nil
  G34: status=4(GC worker (idle)) m=nil lockedm=nil
SCHED 652ms: gomaxprocs=4 idleprocs=4 threads=9 spinningthreads=0 needspinning=0 idlethreads=4 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=4 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P1: status=0 schedtick=1101 syscalltick=11 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P2: status=0 schedtick=6 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P3: status=0 schedtick=1 syscalltick=4 m=nil runqsize=0 gfreecnt=0 timerslen=0
  M8: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M7: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M6: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M5: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M4: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M3: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M2: p=nil curg=17 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=17
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=2 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=9
  G1: status=4(sleep) m=nil lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G5: status=4(finalizer wait) m=nil lockedm=nil
  G6: status=4(chan receive) m=nil lockedm=nil
  G7: status=4(chan receive) m=nil lockedm=nil
  G8: status=4(chan receive) m=nil lockedm=nil
  G9: status=4(chan receive) m=nil lockedm=0
  G17: status=3() m=2 lockedm=2
  G10: status=4(sleep) m=nil lockedm=nil
  G11: status=4(GC worker (idle)) m=nil lockedm=nil
  G18: status=4(GC worker (idle)) m=nil lockedm=nil
  G33: status=4(GC worker (idle)) m=nil lockedm=nil
  G34: status=4(GC worker (idle)) m=nil lockedm=nil
SCHED 756ms: gomaxprocs=4 idleprocs=4 threads=9 spinningthreads=0 needspinning=0 idlethreads=4 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=4 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P1: status=0 schedtick=1101 syscalltick=11 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P2: status=0 sched"""

# ... and that run's stdout.
LIVE21_STDOUT = """\
TRUTH {"role":"gomaxprocs","value":4}
TRUTH {"goid":9,"role":"locked-parked","tid":7039,"wait_reason":"chan receive"}
TRUTH {"fd":3,"goid":17,"role":"locked-syscall","tid":7044}
TRUTH {"goid":10,"role":"sleep","wait_reason":"sleep"}
TRUTH {"goid":6,"role":"parked","wait_reason":"chan receive"}
TRUTH {"goid":7,"role":"parked","wait_reason":"chan receive"}
TRUTH {"goid":8,"role":"parked","wait_reason":"chan receive"}
READY
"""

# go1.27 plain `sched crash` before quiesce() existed: the crash-time block, M6 woken
# to spin (spinning=true, still blocked in futex) and holding a P not yet counted idle.
MOTION27 = """\
SCHED 102ms: gomaxprocs=4 idleprocs=2 threads=8 spinningthreads=1 needspinning=0 idlethreads=2 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=6 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P1: status=0 schedtick=1 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P2: status=1 schedtick=1 syscalltick=7 m=2 runqsize=0 gfreecnt=0 timerslen=0
  P3: status=0 schedtick=1641 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  M7: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M6: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=true blocked=true lockedg=nil
  M5: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M4: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M3: p=nil curg=10 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=10
  M2: p=2 curg=1 mallocing=1 throwing=0 preemptoff= locks=32 dying=1 spinning=false blocked=false lockedg=nil
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=9
  G1: status=2(sleep) m=2 lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G5: status=4(finalizer wait) m=nil lockedm=nil
  G6: status=4(chan receive) m=nil lockedm=nil
  G7: status=4(chan receive) m=nil lockedm=nil
  G8: status=4(chan receive) m=nil lockedm=nil
  G9: status=4(chan receive) m=nil lockedm=0
  G10: status=3() m=3 lockedm=3
  G11: status=4(sleep) m=nil lockedm=nil
  G12: status=4(GC worker (idle)) m=nil lockedm=nil
  G13: status=4(GC worker (idle)) m=nil lockedm=nil
  G14: status=4(GC worker (idle)) m=nil lockedm=nil
  G15: status=4(GC worker (idle)) m=nil lockedm=nil
"""

# go1.27 plain `sched crash`, GOTRACEBACK=crash, GODEBUG=schedtrace=3600000,scheddetail=1:
# sysmon's first block, the crash-time block, the dump (goroutine headers only).
PANIC27 = """\
SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=0 idlethreads=3 runqueue=0 gcwaiting=true nmidlelocked=0 stopwait=0 sysmonwait=false
  P0: status=3 schedtick=4 syscalltick=0 m=0 runqsize=0 gfreecnt=0 timerslen=0
  P1: status=3 schedtick=0 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  M4: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M3: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M2: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=32 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=0 curg=1 mallocing=0 throwing=0 preemptoff=GOMAXPROCS locks=0 dying=0 spinning=false blocked=true lockedg=nil
  G1: status=4(stopping the world) m=0 lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G5: status=1() m=nil lockedm=nil
SCHED 219ms: gomaxprocs=4 idleprocs=3 threads=9 spinningthreads=0 needspinning=0 idlethreads=3 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=119601 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P1: status=0 schedtick=2 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P2: status=0 schedtick=64857 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P3: status=1 schedtick=86985 syscalltick=10 m=3 runqsize=0 gfreecnt=0 timerslen=0
  M8: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M7: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M6: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M5: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M4: p=nil curg=17 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=17
  M3: p=3 curg=1 mallocing=1 throwing=0 preemptoff= locks=32 dying=1 spinning=false blocked=false lockedg=nil
  M2: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=9
  G1: status=2(sleep) m=3 lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G5: status=4(finalizer wait) m=nil lockedm=nil
  G6: status=4(chan receive) m=nil lockedm=nil
  G7: status=4(chan receive) m=nil lockedm=nil
  G8: status=4(chan receive) m=nil lockedm=nil
  G9: status=4(chan receive) m=nil lockedm=0
  G17: status=3() m=4 lockedm=4
  G33: status=4(sleep) m=nil lockedm=nil
  G34: status=4(GC worker (idle)) m=nil lockedm=nil
  G35: status=4(GC worker (idle)) m=nil lockedm=nil
  G36: status=4(GC worker (idle)) m=nil lockedm=nil
  G37: status=4(GC worker (idle)) m=nil lockedm=nil
panic: fixture sched: crash

goroutine 1 gp=0x18c8c96281e0 m=3 mp=0x18c8c9663008 [running]:

goroutine 2 gp=0x18c8c9628780 m=nil [force gc (idle)]:

goroutine 3 gp=0x18c8c9628d20 m=nil [GC sweep wait]:

goroutine 4 gp=0x18c8c9628f00 m=nil [GC scavenge wait]:

goroutine 5 gp=0x18c8c9629860 m=nil [finalizer wait]:

goroutine 6 gp=0x18c8c9629a40 m=nil [chan receive]:

goroutine 7 gp=0x18c8c9629c20 m=nil [chan receive]:

goroutine 8 gp=0x18c8c96ce000 m=nil [chan receive]:

goroutine 9 gp=0x18c8c96ce1e0 m=nil [chan receive, locked to thread]:

goroutine 17 gp=0x18c8c9704000 m=4 mp=0x18c8c9663808 [syscall, locked to thread]:

goroutine 33 gp=0x18c8c9786000 m=nil [sleep]:

goroutine 34 gp=0x18c8c97861e0 m=nil [GC worker (idle)]:

goroutine 35 gp=0x18c8c9786780 m=nil [GC worker (idle)]:

goroutine 36 gp=0x18c8c9786960 m=nil [GC worker (idle)]:

goroutine 37 gp=0x18c8c9786b40 m=nil [GC worker (idle)]:
"""

# ... and that run's stdout.
PANIC27_STDOUT = """\
TRUTH {"role":"gomaxprocs","value":4}
TRUTH {"goid":9,"role":"locked-parked","tid":7087,"wait_reason":"chan receive"}
TRUTH {"fd":3,"goid":17,"role":"locked-syscall","tid":7091}
TRUTH {"goid":33,"role":"sleep","wait_reason":"sleep"}
TRUTH {"goid":6,"role":"parked","wait_reason":"chan receive"}
TRUTH {"goid":7,"role":"parked","wait_reason":"chan receive"}
TRUTH {"goid":8,"role":"parked","wait_reason":"chan receive"}
"""

# go1.27 plain `running hang` + SIGQUIT, as PANIC27: the blocks, the dump (headers), and each
# thread's section (its goroutine's innermost frame; registers left out).
SIGQUIT27_RUNNING = """\
SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=2 runqueue=0 gcwaiting=false nmidlelocked=-1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=0 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P1: status=0 schedtick=2 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  M3: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M2: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=32 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=19 dying=0 spinning=false blocked=false lockedg=1
  G1: status=1(chan receive) m=nil lockedm=0
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
SCHED 450ms: gomaxprocs=2 idleprocs=1 threads=6 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=6 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P1: status=1 schedtick=113 syscalltick=0 m=3 runqsize=0 gfreecnt=0 timerslen=0
  M5: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M4: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M3: p=1 curg=18 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M2: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=nil curg=nil mallocing=1 throwing=2 preemptoff= locks=32 dying=1 spinning=false blocked=true lockedg=1
  G1: status=4(sleep) m=nil lockedm=0
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G5: status=4(finalizer wait) m=nil lockedm=nil
  G6: status=4(chan receive) m=nil lockedm=nil
  G7: status=4(GC worker (idle)) m=nil lockedm=nil
  G17: status=4(GC worker (idle)) m=nil lockedm=nil
  G18: status=2() m=3 lockedm=nil
SIGQUIT: quit
PC=0x481841 m=0 sigcode=0

goroutine 0 gp=0x57d760 m=0 mp=0x57e520 [idle]:
runtime.futex(0x57e678, 0x80, 0x0, 0x0, 0x0, 0x0)
\t/usr/lib/go-1.27/src/runtime/sys_linux_amd64.s:575 +0x21 fp=0x7ffe8929d710 sp=0x7ffe8929d708 pc=0x481841

goroutine 1 gp=0x10bbeb12a1e0 m=nil [sleep, locked to thread]:

goroutine 2 gp=0x10bbeb12a780 m=nil [force gc (idle)]:

goroutine 3 gp=0x10bbeb12ad20 m=nil [GC sweep wait]:

goroutine 4 gp=0x10bbeb12af00 m=nil [GC scavenge wait]:

goroutine 5 gp=0x10bbeb12b4a0 m=nil [finalizer wait]:

goroutine 6 gp=0x10bbeb12ba40 m=nil [chan receive]:

goroutine 7 gp=0x10bbeb12bc20 m=nil [GC worker (idle)]:

goroutine 17 gp=0x10bbeb206000 m=nil [GC worker (idle)]:

goroutine 18 gp=0x10bbeb2065a0 m=3 mp=0x10bbeb167008 [running]:
\tgoroutine running on other thread; stack unavailable

-----

SIGQUIT: quit
PC=0x481277 m=1 sigcode=0

goroutine 0 gp=0x10bbeb12a5a0 m=1 mp=0x10bbeb166008 [idle]:
runtime.usleep(0x2710)
\t/usr/lib/go-1.27/src/runtime/sys_linux_amd64.s:135 +0x37 fp=0x10bbeb151f20 sp=0x10bbeb151f00 pc=0x481277

-----

SIGQUIT: quit
PC=0x481841 m=2 sigcode=0

goroutine 0 gp=0x10bbeb12ab40 m=2 mp=0x10bbeb166808 [idle]:
runtime.futex(0x10bbeb166960, 0x80, 0x0, 0x0, 0x0, 0x0)
\t/usr/lib/go-1.27/src/runtime/sys_linux_amd64.s:575 +0x21 fp=0x10bbeb187e40 sp=0x10bbeb187e38 pc=0x481841

-----

SIGQUIT: quit
PC=0x49ed88 m=3 sigcode=0

goroutine 18 gp=0x10bbeb2065a0 m=3 mp=0x10bbeb167008 [running]:
main.spin(0x0?)
\t/work/main/tests/fixtures/running/main.go:1 +0x8 fp=0x10bbeb165fc8 sp=0x10bbeb165fc0 pc=0x49ed88

-----

SIGQUIT: quit
PC=0x481841 m=4 sigcode=0

goroutine 0 gp=0x10bbeb12b860 m=4 mp=0x10bbeb167808 [idle]:
runtime.futex(0x59d738, 0x80, 0x0, 0x0, 0x0, 0x0)
\t/usr/lib/go-1.27/src/runtime/sys_linux_amd64.s:575 +0x21 fp=0x10bbeb1afef8 sp=0x10bbeb1afef0 pc=0x481841

-----

SIGQUIT: quit
PC=0x40dd8e m=5 sigcode=0

goroutine 0 gp=0x10bbeb2063c0 m=5 mp=0x10bbeb208008 [idle]:
internal/runtime/syscall/linux.Syscall6()
\t/usr/lib/go-1.27/src/internal/runtime/syscall/linux/asm_linux_amd64.s:36 +0xe fp=0x10bbeb1ab670 sp=0x10bbeb1ab668 pc=0x40dd8e
"""

# go1.21 plain `sched hang` + SIGQUIT, as SIGQUIT27_RUNNING (1.21: no gp=/m= in headers).
SIGQUIT21_SCHED = """\
SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=1 needspinning=0 idlethreads=1 runqueue=0 gcwaiting=true nmidlelocked=0 stopwait=1 sysmonwait=false
  P0: status=0 schedtick=0 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P1: status=3 schedtick=3 syscalltick=0 m=0 runqsize=0 gfreecnt=0 timerslen=0
  M3: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=true blocked=true lockedg=nil
  M2: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=2 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=1 curg=1 mallocing=0 throwing=0 preemptoff=GOMAXPROCS locks=0 dying=0 spinning=false blocked=true lockedg=nil
  G1: status=4(stopping the world) m=0 lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G17: status=1() m=nil lockedm=nil
SCHED 338ms: gomaxprocs=4 idleprocs=4 threads=9 spinningthreads=0 needspinning=0 idlethreads=4 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=100501 syscalltick=9 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P1: status=0 schedtick=5 syscalltick=1 m=nil runqsize=0 gfreecnt=0 timerslen=0
  P2: status=0 schedtick=5 syscalltick=7 m=nil runqsize=0 gfreecnt=0 timerslen=1
  P3: status=0 schedtick=1 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  M8: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M7: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M6: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M5: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M4: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M3: p=nil curg=22 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=22
  M2: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=true lockedg=nil
  M1: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
  M0: p=nil curg=nil mallocing=1 throwing=2 preemptoff= locks=2 dying=1 spinning=false blocked=true lockedg=21
  G1: status=4(sleep) m=nil lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=4(GC sweep wait) m=nil lockedm=nil
  G4: status=4(GC scavenge wait) m=nil lockedm=nil
  G17: status=4(finalizer wait) m=nil lockedm=nil
  G18: status=4(chan receive) m=nil lockedm=nil
  G19: status=4(chan receive) m=nil lockedm=nil
  G20: status=4(chan receive) m=nil lockedm=nil
  G21: status=4(chan receive) m=nil lockedm=0
  G22: status=3() m=3 lockedm=3
  G5: status=4(sleep) m=nil lockedm=nil
  G6: status=4(GC worker (idle)) m=nil lockedm=nil
  G33: status=4(GC worker (idle)) m=nil lockedm=nil
  G34: status=4(GC worker (idle)) m=nil lockedm=nil
  G35: status=4(GC worker (idle)) m=nil lockedm=nil
SIGQUIT: quit
PC=0x460e61 m=0 sigcode=0

goroutine 0 [idle]:
runtime.futex()
\t/usr/lib/go-1.21/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0x7ffdf64d5420 sp=0x7ffdf64d5418 pc=0x460e61

goroutine 1 [sleep]:

goroutine 2 [force gc (idle)]:

goroutine 3 [GC sweep wait]:

goroutine 4 [GC scavenge wait]:

goroutine 17 [finalizer wait]:

goroutine 18 [chan receive]:

goroutine 19 [chan receive]:

goroutine 20 [chan receive]:

goroutine 21 [chan receive, locked to thread]:

goroutine 22 [syscall, locked to thread]:

goroutine 5 [sleep]:

goroutine 6 [GC worker (idle)]:

goroutine 33 [GC worker (idle)]:

goroutine 34 [GC worker (idle)]:

goroutine 35 [GC worker (idle)]:

-----

SIGQUIT: quit
PC=0x460897 m=1 sigcode=0

goroutine 0 [idle]:
runtime.usleep()
\t/usr/lib/go-1.21/src/runtime/sys_linux_amd64.s:135 +0x37 fp=0xc000051f38 sp=0xc000051f18 pc=0x460897

-----

SIGQUIT: quit
PC=0x460e61 m=2 sigcode=0

goroutine 0 [idle]:
runtime.futex()
\t/usr/lib/go-1.21/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0xc00004dd78 sp=0xc00004dd70 pc=0x460e61

-----

SIGQUIT: quit
PC=0x403c4c m=3 sigcode=0

goroutine 22 [syscall, locked to thread]:
syscall.Syscall(0xc000038740?, 0x405477?, 0xc0000801e0?, 0xc000038798?)
\t/usr/lib/go-1.21/src/syscall/syscall_linux.go:69 +0x25 fp=0xc000038710 sp=0xc0000386a0 pc=0x47c3c5

-----

SIGQUIT: quit
PC=0x460e61 m=4 sigcode=0

goroutine 0 [idle]:
runtime.futex()
\t/usr/lib/go-1.21/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0xc000069ef8 sp=0xc000069ef0 pc=0x460e61

-----

SIGQUIT: quit
PC=0x460e61 m=5 sigcode=0

goroutine 0 [idle]:
runtime.futex()
\t/usr/lib/go-1.21/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0xc00007fb78 sp=0xc00007fb70 pc=0x460e61

-----

SIGQUIT: quit
PC=0x403c4e m=6 sigcode=0

goroutine 0 [idle]:
runtime/internal/syscall.Syscall6()
\t/usr/lib/go-1.21/src/runtime/internal/syscall/asm_linux_amd64.s:36 +0xe fp=0xc00007b750 sp=0xc00007b748 pc=0x403c4e

-----

SIGQUIT: quit
PC=0x460e61 m=7 sigcode=0

goroutine 0 [idle]:
runtime.futex()
\t/usr/lib/go-1.21/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0xc000115d48 sp=0xc000115d40 pc=0x460e61

-----

SIGQUIT: quit
PC=0x460e61 m=8 sigcode=0

goroutine 0 [idle]:
runtime.futex()
\t/usr/lib/go-1.21/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0xc000111d78 sp=0xc000111d70 pc=0x460e61
"""

# ... and that run's stdout.
SIGQUIT21_STDOUT = """\
TRUTH {"role":"gomaxprocs","value":4}
TRUTH {"goid":21,"role":"locked-parked","tid":7212,"wait_reason":"chan receive"}
TRUTH {"fd":3,"goid":22,"role":"locked-syscall","tid":7215}
TRUTH {"goid":5,"role":"sleep","wait_reason":"sleep"}
TRUTH {"goid":18,"role":"parked","wait_reason":"chan receive"}
TRUTH {"goid":19,"role":"parked","wait_reason":"chan receive"}
TRUTH {"goid":20,"role":"parked","wait_reason":"chan receive"}
READY
"""


# ---------------------------------------------------------------------------------------


def live_case():
    blocks = [b for b in cs.parse_sched(LIVE21, final=False) if b.complete]
    before, after = blocks
    e = cs.expect_live(before, after)
    cs._sysmon_locks(e, True, "test")
    truth = cs.parse_truth(LIVE21_STDOUT)
    return e, truth, cs.fake_answers(e, truth)


def core_case(text, stdout, kind, minor, spinner_fn=None):
    block = cs.parse_sched(text)[-1]
    dump = crashdump.parse(cs.strip_sched(text))
    e = cs.expect_core(block, dump, kind, minor)
    if spinner_fn:
        e.spinner = next(g.id for g in dump.goroutines if g.stack_unavailable)
        e.spinner_fn = spinner_fn
    cs._sysmon_locks(e, True, "test")
    truth = cs.parse_truth(stdout) if stdout else None
    return e, truth, dump, cs.fake_answers(e, truth, dump)


def run(e, truth, ans, dump=None, minor=27, proc_tids=None):
    d = cs.SDiffs()
    sj, tj, gj = ans["sched"], ans["threads"], ans["goroutines"]
    cs.compare_sched(d, e, sj, tj)
    cs.compare_threads(d, e, sj, tj, proc_tids=proc_tids)
    if dump is not None:
        cs.compare_dump(d, e, dump, sj, tj, minor)
    if truth is not None:
        cs.compare_truth(d, e, truth, sj, tj, gj)
    cs.compare_goroutines(d, e.block, gj)
    return d


def m_of(ans, mid):
    return next(m for m in ans["sched"]["ms"] if m["id"] == mid)


def thread_of(ans, mid):
    return next(t for t in ans["threads"]["threads"] if t["m"] == mid)


def g_of(ans, goid):
    return next(g for g in ans["goroutines"]["goroutines"] if g["id"] == goid)


class Parse(unittest.TestCase):
    def test_live(self):
        blocks = cs.parse_sched(LIVE21, final=False)
        self.assertEqual(len(blocks), 3)
        a, b, c = blocks
        self.assertTrue(a.complete and b.complete)
        self.assertFalse(c.complete)  # still being written: its last line is cut
        self.assertEqual(len(c.ps), 2)
        self.assertEqual(a.time_ms + 108, b.time_ms)
        self.assertEqual(a.globals, {
            "gomaxprocs": 4, "idleprocs": 4, "threads": 9, "spinningthreads": 0,
            "needspinning": 0, "idlethreads": 4, "runqueue": 0, "gcwaiting": False,
            "nmidlelocked": 1, "stopwait": 0, "sysmonwait": False})
        self.assertEqual(a.ps[1], cs.SchedP(1, 0, 1101, 11, None, 0, 0, 1))
        self.assertEqual([m.id for m in a.ms], [8, 7, 6, 5, 4, 3, 2, 1, 0])
        self.assertEqual(a.m(2), cs.SchedM(2, None, 17, 0, 0, "", 0, 0, False, False, 17))
        self.assertEqual(a.m(1).locks, 2)  # sysmon, printing: sched.lock + the print lock
        self.assertEqual(a.m(0).lockedg, 9)
        self.assertEqual(a.g(2), cs.SchedG(2, 4, "force gc (idle)", None, None))
        self.assertEqual(a.g(17), cs.SchedG(17, 3, "", 2, 2))
        self.assertEqual(a.key(), b.key())
        self.assertNotEqual(a.ps[1].schedtick, 0)
        for blk in (a, b):
            self.assertEqual(cs.block_problems(blk), [])
            self.assertEqual(cs.motion(blk), [])
        self.assertEqual(cs.moved(a, b), [])
        # the whole text, final: the cut line is a line, the last block complete
        self.assertTrue(cs.parse_sched(LIVE21)[-1].complete)

    def test_offsets(self):
        blocks = cs.parse_sched(LIVE21, final=False)
        for b in blocks[:2]:
            self.assertTrue(LIVE21[b.offset:].startswith(f"SCHED {b.time_ms}ms:"))
            self.assertEqual(LIVE21[b.end - 1], "\n")
        self.assertEqual(blocks[0].end, blocks[1].offset)

    def test_bad_lines(self):
        text = LIVE21.replace("  M5: p=nil", "  M5: p=?", 1)
        b = cs.parse_sched(text)[0]
        self.assertEqual(len(b.errors), 1)
        self.assertIn("M5: p=?", b.errors[0])
        self.assertIn("8 M lines, threads=9", cs.block_problems(b))
        no_detail = "SCHED 5ms: gomaxprocs=4 idleprocs=4 threads=9 spinningthreads=0 " \
                    "needspinning=0 idlethreads=4 runqueue=0 [ 0 0 0 0 ]\n"
        b = cs.parse_sched(no_detail)[0]
        self.assertTrue(any("scheddetail" in e for e in b.errors), b.errors)

    def test_crash_text(self):
        blocks = cs.parse_sched(PANIC27)
        self.assertEqual(len(blocks), 2)  # sysmon's first, then startpanic_m's
        crash = blocks[-1]
        self.assertEqual([(m.id, m.dying, m.mallocing) for m in crash.ms if m.dying],
                         [(3, 1, 1)])
        self.assertEqual(cs.motion(crash), [])
        dump = crashdump.parse(cs.strip_sched(PANIC27))
        self.assertEqual(dump.panics, ["fixture sched: crash"])
        self.assertEqual(dump.unparsed, [])
        self.assertEqual(len(dump.goroutines), len([g for g in crash.gs if g.status != 6]))
        self.assertNotIn("SCHED", cs.strip_sched(PANIC27))
        self.assertIn("panic: fixture sched: crash\n", cs.strip_sched(PANIC27))

    def test_motion(self):
        b = cs.parse_sched(MOTION27)[0]
        why = cs.motion(b)
        self.assertIn("M6 spinning", why)
        self.assertIn("spinningthreads=1", why)
        self.assertTrue(any(w.startswith("idleprocs=2 but 3 Ps are idle") for w in why), why)
        # each kind of motion, on a block at rest
        rest = cs.parse_sched(LIVE21)[0]
        for change, want in (
                (lambda b: setattr(b.ps[2], "runqsize", 1), "P2 runqsize=1"),
                (lambda b: setattr(b.ps[0], "status", 2), "P0 in a syscall"),
                (lambda b: (setattr(b.ps[0], "status", 1), setattr(b.ps[0], "m", 5),
                            setattr(b.m(5), "p", 0)), "P0 running without a running"),
                (lambda b: setattr(b.gs[0], "status", 1), "G1 runnable"),
                (lambda b: setattr(b.gs[0], "status", 0x1004), "being scanned"),
                (lambda b: b.globals.update(runqueue=2), "runqueue=2")):
            b = copy.deepcopy(rest)
            change(b)
            self.assertTrue(any(want in w for w in cs.motion(b)), (want, cs.motion(b)))

    def test_moved(self):
        a, b = [copy.deepcopy(x) for x in cs.parse_sched(LIVE21)[:2]]
        b.m(5).blocked = True
        b.globals["idlethreads"] = 5
        b.ps[3].timerslen = 2
        b.g(9).status = 1
        b.ps[0].schedtick += 7  # ticks do not count
        self.assertEqual(cs.moved(a, b), [
            "idlethreads: 4 -> 5", "P3 timerslen: 0 -> 2", "M5 blocked: False -> True",
            "G9: status=4(chan receive) m=None lockedm=0 -> status=1(chan receive) m=None "
            "lockedm=0"])

    def test_adrift(self):
        b = cs.parse_sched(LIVE21)[0]  # M5: p=nil curg=nil blocked=false (in netpoll)
        threads = {"threads": [{"m": 5, "function": "runtime.futex"},
                               {"m": 1, "function": "runtime.futex"}]}
        self.assertEqual(cs.adrift(b, threads), [5])  # sysmon (M1) is never adrift
        self.assertEqual(cs.adrift(b, threads, skip=(5,)), [])
        b2 = copy.deepcopy(b)
        b2.m(5).locks = 1  # waiting for sched.lock in stopm (the printer holds it)
        self.assertEqual(cs.adrift(b2, threads), [5])
        threads["threads"][0]["function"] = "internal/runtime/syscall/linux.Syscall6"
        self.assertEqual(cs.adrift(b, threads), [])  # in netpoll, as the block says

    def test_settle_adrift(self):
        # M8 M7 M6 M4 M3 asleep without work: the 4 idle ones and the template thread, so
        # M5 was not in sched.midle yet: it goes there, and to sleep
        e = cs.Expect(block=copy.deepcopy(cs.parse_sched(LIVE21)[0]), kind="panic")
        e.block.m(5).locks = 1
        self.assertIsNone(cs.settle_adrift(e, [5], 1))
        self.assertTrue(e.block.m(5).blocked)
        self.assertEqual(e.block.m(5).locks, 0)
        self.assertEqual(e.block.globals["idlethreads"], 5)
        # already in sched.midle (idlethreads counted it): only blocked changes
        e = cs.Expect(block=copy.deepcopy(cs.parse_sched(LIVE21)[0]), kind="panic")
        e.block.globals["idlethreads"] = 5
        self.assertIsNone(cs.settle_adrift(e, [5], 1))
        self.assertEqual(e.block.globals["idlethreads"], 5)
        # accounting that does not fit
        e = cs.Expect(block=copy.deepcopy(cs.parse_sched(LIVE21)[0]), kind="panic")
        self.assertIn("does not fit", cs.settle_adrift(e, [5], 3))


class TruthLines(unittest.TestCase):
    def test_parse(self):
        t = cs.parse_truth(LIVE21_STDOUT)
        self.assertEqual(t.gomaxprocs, 4)
        self.assertEqual(t.locked_parked, {"goid": 9, "role": "locked-parked", "tid": 7039,
                                           "wait_reason": "chan receive"})
        self.assertEqual(t.locked_syscall["goid"], 17)
        self.assertEqual(t.sleep["goid"], 10)
        self.assertEqual(sorted(p["goid"] for p in t.parked), [6, 7, 8])
        self.assertTrue(cs.parse_truth("READY\n").empty())

    def test_refused(self):
        for bad in ('TRUTH {"role": "locked-parked", "goid": 1}',
                    'TRUTH {"role": "mystery"}', "TRUTH {not json"):
            with self.assertRaises(ValueError, msg=bad) as cm:
                cs.parse_truth(bad)
            self.assertIn(bad[:14], str(cm.exception))


class Live(unittest.TestCase):
    def setUp(self):
        self.e, self.truth, self.ans = live_case()

    def check(self, want, ans=None, e=None, **kw):
        d = run(e or self.e, self.truth, ans or self.ans, **kw)
        self.assertTrue(any(want in x for x in d.items), (want, d.items))
        return d

    def mutated(self):
        return copy.deepcopy(self.ans)

    def test_perfect(self):
        d = run(self.e, self.truth, self.ans)
        self.assertEqual(d.items, [])
        self.assertEqual(self.e.skip, {})  # sysmon asleep: its locks compared (0)
        self.assertEqual(self.e.block.m(1).locks, 0)
        tids = sorted(t["tid"] for t in self.ans["threads"]["threads"])
        self.assertEqual(run(self.e, self.truth, self.ans, proc_tids=tids).items, [])

    def test_globals(self):
        a = self.mutated()
        a["sched"]["idlethreads"] = 5
        self.check("sched: idlethreads: runtime 4, plugin 5", a)
        a = self.mutated()
        a["sched"]["procs"] = 2
        self.check("sched: procs: runtime 4, plugin 2", a)
        a = self.mutated()
        a["sched"]["gc_phase"] = None
        self.check("gc_phase", a)
        a = self.mutated()
        a["sched"]["world_stopped"] = None
        self.check("world_stopped", a)
        a = self.mutated()
        a["sched"]["errors"] = ["allp[2] is unreadable"]
        self.check("go sched: errors", a)

    def test_ps(self):
        a = self.mutated()
        a["sched"]["ps"][3]["timerslen"] = 1
        self.check("P3: timerslen: runtime 0, plugin 1", a)
        a = self.mutated()
        a["sched"]["ps"][1]["schedtick"] -= 1
        self.check("P1: schedtick: runtime '>= 1101 and <= 1101 (the block after)', "
                   "plugin 1100", a)
        a = self.mutated()
        a["sched"]["ps"][1]["syscalltick"] += 1
        self.check("P1: syscalltick", a)
        a = self.mutated()
        a["sched"]["ps"][0]["status_name"] = "running"
        self.check("P0: status_name: runtime 'idle', plugin 'running'", a)
        a = self.mutated()
        a["sched"]["ps"][2]["runnext"] = 6
        self.check("goroutines in the run queues", a)
        a = self.mutated()
        del a["sched"]["ps"][3]
        self.check("ps (ids in allp order)", a)

    def test_ms(self):
        a = self.mutated()
        m_of(a, 0)["lockedg"] = None
        self.check("M0: lockedg: runtime 9, plugin None", a)
        a = self.mutated()
        ms = a["sched"]["ms"]
        ms[0], ms[1] = ms[1], ms[0]
        self.check("ms (ids in allm order)", a)
        a = self.mutated()
        m_of(a, 2)["in_syscall"] = False
        self.check("M2: in_syscall (curg in _Gsyscall): runtime True, plugin False", a)
        a = self.mutated()
        m_of(a, 5)["blocked"] = True
        self.check("M5: blocked: runtime False, plugin True", a)
        a = self.mutated()
        m_of(a, 3)["thread"] = 99
        self.check("M3: thread", a)
        a = self.mutated()
        m_of(a, 3)["preemptoff"] = None
        self.check("M3: preemptoff: runtime '', plugin None", a)

    def test_sysmon(self):
        a = self.mutated()
        m_of(a, 1)["locks"] = 1
        self.check("M1: locks: runtime 0, plugin 1", a)  # asleep: no lock held
        e, _, _ = live_case()
        e.skip.clear()
        cs._sysmon_locks(e, False, "its thread is in runtime.retake")
        d = run(e, self.truth, a)
        self.assertEqual(d.items, [])
        self.assertTrue(any("M1 locks not compared" in n and "runtime.retake" in n
                            for n in d.notes), d.notes)

    def test_threads(self):
        a = self.mutated()
        thread_of(a, 2)["goroutine"] = None
        self.check("M2: goroutine: runtime 17, plugin None", a)
        a = self.mutated()
        thread_of(a, 3)["stack"] = "gsignal"
        self.check("M3: stack: runtime 'g0', plugin 'gsignal'", a)
        a = self.mutated()
        thread_of(a, 2)["stack"] = "g0"
        self.check("M2: stack: runtime 'goroutine', plugin 'g0'", a)
        a = self.mutated()
        thread_of(a, 8)["function"] = "runtime.usleep"
        self.check("function (blocked=true: asleep in notesleep)", a)
        a = self.mutated()
        del a["threads"]["threads"][4]
        self.check("count (threads=, every thread an M)", a)
        a = self.mutated()
        thread_of(a, 4)["tid"] = 1
        self.check("tids (= the Ms' procids)", a)
        tids = sorted(t["tid"] for t in self.ans["threads"]["threads"])
        self.check("tids (/proc/PID/task)", proc_tids=tids[1:])

    def test_truth(self):
        # the Ms of A and B swap threads (procids and tids together): only the truth knows
        a = self.mutated()
        mA, mB = m_of(a, 0), m_of(a, 2)
        mA["procid"], mB["procid"] = mB["procid"], mA["procid"]
        tA, tB = thread_of(a, 0), thread_of(a, 2)
        tA["tid"], tB["tid"] = tB["tid"], tA["tid"]
        d = self.check("truth A (locked, parked) G9 tid 7039: thread's m: runtime 0, plugin 2", a)
        self.assertTrue(any("M0 procid: runtime 7039" in x for x in d.items), d.items)
        a = self.mutated()
        g_of(a, 9)["locked_to_thread"] = False
        self.check("locked_to_thread", a)
        # the fixture's truth not matching the runtime
        t = copy.deepcopy(self.truth)
        t.locked_syscall["goid"] = 10
        d = run(self.e, t, self.ans)
        self.assertTrue(any("fixture truth vs runtime" in x for x in d.items), d.items)

    def test_goroutines(self):
        a = self.mutated()
        g_of(a, 17)["status"] = "waiting"
        self.check("G17: status: runtime '3 (syscall)', plugin 'waiting'", a)
        a = self.mutated()
        g_of(a, 6)["wait_reason"] = "select"
        self.check("G6: wait_reason: runtime 'chan receive', plugin 'select'", a)
        a = self.mutated()
        g_of(a, 17)["m"] = None
        self.check("G17: m: runtime 2, plugin None", a)
        a = self.mutated()
        a["goroutines"]["goroutines"].append({"id": 99, "status": "waiting"})
        self.check("G99: listed by the plugin, not in the block", a)
        a = self.mutated()
        a["goroutines"]["goroutines"] = [g for g in a["goroutines"]["goroutines"]
                                         if g["id"] != 2]
        self.check("G2: listed", a)
        # a dead goroutine must not be listed
        e = copy.deepcopy(self.e)
        e.block.g(2).status = 6
        self.check("G2: listed (dead goroutines are not)", e=e)


class Cores(unittest.TestCase):
    def test_panic(self):
        e, truth, dump, ans = core_case(PANIC27, PANIC27_STDOUT, "panic", 27)
        self.assertTrue(e.block.globals["gcwaiting"])
        self.assertEqual(e.block.globals["stopwait"], 0x7FFFFFFF)
        self.assertEqual(e.crash_m, 3)  # goroutine 1's M, the panicking one
        self.assertIn((3, "locks"), e.skip)
        self.assertEqual(run(e, truth, ans, dump).items, [])

        def check(want, mutate):
            a = copy.deepcopy(ans)
            mutate(a)
            d = run(e, truth, a, dump)
            self.assertTrue(any(want in x for x in d.items), (want, d.items))

        check("sched: gcwaiting: runtime True, plugin False",
              lambda a: a["sched"].update(gcwaiting=False))
        check("sched: stopwait", lambda a: a["sched"].update(stopwait=0))
        check("world_stopped (freezetheworld)", lambda a: a["sched"].update(world_stopped=False))
        check("M3: dying: runtime 1, plugin 0", lambda a: m_of(a, 3).update(dying=0))
        threads = lambda a: a["threads"]["threads"]  # noqa: E731
        check("m (the crashing thread comes first in the core)",
              lambda a: threads(a).reverse())
        check("function (dieFromSignal): runtime 'runtime.raise'",
              lambda a: threads(a)[0].update(function="runtime.futex"))
        check("M3: stack: runtime 'gsignal', plugin 'goroutine'",
              lambda a: thread_of(a, 3).update(stack="goroutine"))
        # goroutine 17 (B) is in a syscall on M4: the dump's header says m=4
        check("dump goroutine 17 m=4: thread of M4: goroutine: runtime 17, plugin None",
              lambda a: thread_of(a, 4).update(goroutine=None))
        check("dump goroutine 17 m=4: M4 curg", lambda a: m_of(a, 4).update(curg=None))
        check("dump goroutine 9 [locked to thread]: an M with that lockedg",
              lambda a: [m.update(lockedg=None) for m in a["sched"]["ms"] if m["lockedg"] == 9])

    def test_sigquit(self):
        e, _, dump, ans = core_case(SIGQUIT27_RUNNING, None, "sigquit", 27, "main.spin")
        self.assertEqual(sorted(e.sections), [0, 1, 2, 3, 4, 5])
        self.assertEqual(e.crash_m, 0)  # 1.22+: the first to get SIGQUIT crashes
        self.assertEqual(e.spinner, 18)
        self.assertTrue(all(m.throwing == 2 for m in e.block.ms))
        self.assertEqual(e.sections[3].id, 18)
        self.assertEqual(e.sections[1].frames[0].function, "runtime.usleep")
        self.assertEqual(run(e, None, ans, dump).items, [])

        def check(want, mutate):
            a = copy.deepcopy(ans)
            mutate(a)
            d = run(e, None, a, dump)
            self.assertTrue(any(want in x for x in d.items), (want, d.items))

        check("M2: throwing: runtime 2, plugin 0", lambda a: m_of(a, 2).update(throwing=0))
        check("dump thread section m=4: M4 g0 (goroutine 0 gp=): runtime '0x10bbeb12b860'",
              lambda a: m_of(a, 4).update(g0="0x1"))
        check("dump thread section m=3: thread's goroutine (the section's): runtime 18",
              lambda a: thread_of(a, 3).update(goroutine=None))
        check("M5: stack: runtime 'gsignal', plugin 'g0'",
              lambda a: thread_of(a, 5).update(stack="g0"))
        check("G18: a thread (the spinner)",
              lambda a: [t.update(goroutine=None) for t in a["threads"]["threads"]
                         if t["goroutine"] == 18] and m_of(a, 3).update(curg=None))

    def test_sigquit_121(self):
        e, truth, dump, ans = core_case(SIGQUIT21_SCHED, SIGQUIT21_STDOUT, "sigquit", 21)
        self.assertEqual(e.crash_m, 8)  # 1.21: the last M to get the relayed SIGQUIT
        self.assertEqual(e.printer, 0)
        self.assertEqual(len(e.sections), 9)
        self.assertEqual(e.sections[3].id, 22)  # B, in its syscall
        self.assertEqual(run(e, truth, ans, dump, minor=21).items, [])
        a = copy.deepcopy(ans)
        m_of(a, 3)["in_syscall"] = False
        d = run(e, truth, a, dump, minor=21)
        self.assertTrue(any("M3: in_syscall" in x for x in d.items), d.items)


class FreshRuns(unittest.TestCase):
    """If fixtures are built (GOINSPECT_FIXTURE_DIR, default build/fixtures/integration),
    run the sched fixture of every toolchain there under schedtrace: it must come to rest,
    and the block must agree with its truth lines."""

    def test_fresh(self):
        root = os.environ.get("GOINSPECT_FIXTURE_DIR",
                              os.path.join(HERE, "..", "..", "build", "fixtures", "integration"))
        exes = sorted(glob.glob(os.path.join(root, "go1.*", "plain", "sched")))
        if not exes:
            if os.environ.get("GOINSPECT_REQUIRE_FIXTURES"):
                self.fail(f"no sched fixture built under {root}: "
                          f"run tests/fixtures/build.sh {root}")
            self.skipTest(f"no sched fixture built under {root}")
        for exe in exes:
            with self.subTest(exe=exe):
                work = tempfile.mkdtemp(prefix="goinspect-sched-selftest-")
                try:
                    h = cs.TracedFixture(exe, work, "system", cs.GODEBUG_LIVE)
                    try:
                        blocks = cs.wait_blocks(h, cs._still_pair, cs.T_STILL, "rest")
                    finally:
                        h.close()
                    truth = cs.parse_truth(h.stdout)
                    e = cs.expect_live(blocks[-2], blocks[-1])
                    cs._sysmon_locks(e, True, "test")
                    ans = cs.fake_answers(e, truth)
                    d = run(e, truth, ans)
                    self.assertEqual(d.items, [])
                    b = blocks[-1]
                    self.assertEqual(b.globals["nmidlelocked"], 1)  # A's M
                    # sysmon (M1) printed it: the one M holding locks (the harness relies
                    # on both: see expect_live)
                    self.assertEqual([m.id for m in b.ms if m.locks], [cs.SYSMON_M])
                finally:
                    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
