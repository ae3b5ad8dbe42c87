#!/usr/bin/env python3
# bench/lib/rusage.py OUT_JSON STDOUT_FILE CMD ARGS…: run CMD once and write {wall, user, sys, maxrssKB, status} to
# OUT_JSON. wait4() gives the child's own CPU time and peak RSS with microsecond resolution (GNU time rounds to
# 10 ms), and the wall clock covers only the child (not this wrapper's start-up). STDOUT_FILE '-' discards stdout.
import json, os, sys, time
out, stdout_file, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = os.open(os.devnull if stdout_file == '-' else stdout_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(fd, 1)
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(out, 'w') as f:
    json.dump({'wall': wall, 'user': ru.ru_utime, 'sys': ru.ru_stime, 'maxrssKB': ru.ru_maxrss, 'status': os.waitstatus_to_exitcode(status)}, f)
