#!/usr/bin/env python3
"""N concurrent clients each POST a ~4 MB JSON body to /v1/check; prints the status counts,
the server's peak RSS (sampled from /proc every 50 ms, and VmHWM) and the wall time."""
import socket, sys, threading, time, collections, json
addr, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = int(sys.argv[4]) if len(sys.argv) > 4 else 4_000_000
host, port = addr.split(':'); port = int(port)
unit = "the cat sat on the carpet and the dog lay on the rug . "
text = (unit * (size // len(unit) + 1))[: size - 20]
body = json.dumps({"text": text}).encode()
head = (f"POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
msgs = collections.Counter(); results = collections.Counter(); empty_err = [0]; lock = threading.Lock()
peak = [0]; stop = [False]
def rss():
    d = {}
    for l in open(f"/proc/{pid}/status"):
        k, v = l.split(':', 1); d[k] = v.strip()
    return int(d["VmRSS"].split()[0]), int(d["VmHWM"].split()[0])
def sampler():
    while not stop[0]:
        peak[0] = max(peak[0], rss()[0]); time.sleep(0.05)
def client(i):
    s = socket.socket(); s.settimeout(120)
    try:
        s.connect((host, port))
        try:
            s.sendall(head + body)
        except OSError:
            pass  # answered (413/503) before the whole body was read
        data = b""
        while True:
            c = s.recv(65536)
            if not c: break
            data += c
        st = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "no-answer"
        if st != "200":
            b = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
            with lock: msgs[json.loads(b)["error"][:40] if b.strip() else ""] += 1
            if not b.strip():
                with lock: empty_err[0] += 1
    except OSError as e:
        st = f"error:{type(e).__name__}"
    finally:
        s.close()
    with lock: results[st] += 1
t0 = time.time()
threading.Thread(target=sampler, daemon=True).start()
ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
stop[0] = True
cur, hwm = rss()
print(json.dumps({"clients": n, "body_bytes": len(body), "statuses": dict(results),
                  "empty_error_bodies": empty_err[0], "peak_rss_mb_sampled": round(peak[0]/1024),
                  "vmhwm_mb": round(hwm/1024), "rss_after_mb": round(cur/1024),
                  "wall_s": round(time.time()-t0, 1), "messages": dict(msgs)}))
