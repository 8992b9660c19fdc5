# A stalled shadow backend: accepts connections on 127.0.0.1:PORT and never answers, for at most SECONDS.
# Usage: python3 blackhole.py PORT SECONDS [HOLD]
# Each accepted connection is held, unanswered, for HOLD seconds (default 60; far longer than a mirror timeout, after
# which the proxy has closed its side already), then closed, so that the open files stay bounded: at ~128 new
# connections/s an unbounded hold ran out of file descriptors after a few minutes (ulimit -n), accept() failed, the
# script died and the "stalled" shadow became a refusing one for the rest of the run.
import collections
import resource
import socket
import sys
import time

port = int(sys.argv[1])
end = time.time() + (float(sys.argv[2]) if len(sys.argv) > 2 else 300)
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 60
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(4096)
s.settimeout(1)
held = collections.deque()  # (accepted at, socket), oldest first
while time.time() < end:
    now = time.time()
    while held and (now - held[0][0] > hold):
        held.popleft()[1].close()
    try:
        c, _ = s.accept()
        held.append((now, c))
    except socket.timeout:
        pass
    except OSError as e:  # out of file descriptors all the same: give up the oldest tenth, stay stalled
        print(f"blackhole: accept failed ({e}); closing the {len(held) // 10 + 1} oldest connections", file=sys.stderr)
        for _ in range(len(held) // 10 + 1):
            if held:
                held.popleft()[1].close()
