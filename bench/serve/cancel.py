#!/usr/bin/env python3
"""How soon a timed-out request frees its core (the hardening issue's cancellation target:
within 100 ms of the deadline).

Starts `unspin serve --workers 1 --timeout T`, sends one large body (spun article paragraphs
repeated to BYTES, or with --one-line the same words on one line without sentence ends, the
engine's coarsest passages), waits for the 503, and samples the server's CPU time
(utime + stime of /proc/PID/stat, 10 ms ticks) every 2 ms from the request until 3 s after the
answer. Prints when the answer came, the CPU time the process used after the deadline, when
the process used its last tick (busy -> idle), and the server's own log line (how long after
the deadline the engine stopped).

Usage: cancel.py [--bin target/release/unspin] [--timeout 1] [--bytes 4000000] [--one-line]
                 [--rounds 5]
"""
import argparse, json, os, socket, subprocess, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default="target/release/unspin")
ap.add_argument("--timeout", type=float, default=1.0)
ap.add_argument("--bytes", type=int, default=4_000_000)
ap.add_argument("--one-line", action="store_true")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--source", default="data/eval/test-moby-4.jsonl")
a = ap.parse_args()

TICK = os.sysconf("SC_CLK_TCK")

paras = []
with open(a.source, encoding="utf-8") as f:
    for line in f:
        paras.append(json.loads(line)["text"].strip())
        if sum(len(p) for p in paras) > 200_000:
            break
if a.one_line:
    unit = " ".join(" ".join(paras).replace(".", " ").replace("?", " ").replace("!", " ").lower().split()) + " "
else:
    unit = "\n\n".join(paras) + "\n\n"
text = (unit * (a.bytes // len(unit) + 1))[: a.bytes - 20]
body = json.dumps({"text": text}).encode()

srv = subprocess.Popen(
    [a.bin, "serve", "--addr", "127.0.0.1:0", "--workers", "1", "--timeout", str(a.timeout),
     "--max-body", str(len(body) + 1000)],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
lines, addr = [], None
while addr is None:
    l = srv.stderr.readline()
    if not l:
        sys.exit("server exited: " + "".join(lines))
    lines.append(l)
    if "listening on http://" in l:
        addr = l.split("listening on http://")[1].split("/")[0]
log = []
threading.Thread(target=lambda: [log.append((time.monotonic(), l)) for l in srv.stderr], daemon=True).start()
host, port = addr.split(":")


def post(b):
    s = socket.create_connection((host, int(port)))
    s.sendall(f"POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              f"Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n".encode() + b)
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    return data.split(b" ", 2)[1].decode()


def cpu():
    f = open(f"/proc/{srv.pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime, stime (fields 14, 15)


post(json.dumps({"text": "The cat sat on the mat."}).encode())  # warm-up
print(f"body {len(body):,} bytes ({'one line' if a.one_line else 'paragraphs'}), "
      f"--timeout {a.timeout} s, --workers 1, {a.bin}")
for r in range(a.rounds):
    samples, done = [], [None]
    status = [None]
    t0 = time.monotonic()

    def send():
        status[0] = post(body)
        done[0] = time.monotonic()

    th = threading.Thread(target=send)
    th.start()
    while done[0] is None or time.monotonic() < done[0] + 3.0:
        samples.append((time.monotonic(), cpu()))
        time.sleep(0.002)
    th.join()
    deadline = t0 + a.timeout
    at_deadline = next(c for t, c in samples if t >= deadline)
    last = samples[-1][1]
    # the first sample of the final CPU value: the process's last tick
    last_tick = next(t for t, c in samples if c == last)
    stopped = [l.strip() for t, l in log if t >= t0 and "stopped" in l]
    log.clear()
    print(f"round {r + 1}: {status[0]} after {done[0] - t0:.3f} s; CPU after the deadline "
          f"{(last - at_deadline) * 1000 / TICK:.0f} ms; last tick {1000 * (last_tick - deadline):+.0f} ms "
          f"from the deadline ({1000 * (last_tick - done[0]):+.0f} ms from the answer); "
          f"server: {stopped[0].split(': ', 1)[1] if stopped else 'no cancellation logged'}")
    time.sleep(0.5)
srv.terminate()
srv.wait()
