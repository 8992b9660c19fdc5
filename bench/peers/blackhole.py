# A stalled shadow backend: accepts connections on 127.0.0.1:PORT and never answers, for at most SECONDS.
# Usage: python3 blackhole.py PORT SECONDS
import socket
import sys
import time

port = int(sys.argv[1])
end = time.time() + (float(sys.argv[2]) if len(sys.argv) > 2 else 300)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(4096)
s.settimeout(1)
held = []
while time.time() < end:
    try:
        c, _ = s.accept()
        held.append(c)
    except socket.timeout:
        pass
