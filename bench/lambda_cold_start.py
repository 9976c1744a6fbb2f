#!/usr/bin/env python3
"""Cold start of the Lambda package: unzip it, serve the Lambda Runtime API on
loopback with one classify event, start `bootstrap`, and time process start to
the first result. Usage:
  bench/lambda_cold_start.py ZIP IMAGE [--box XMIN,YMIN,XMAX,YMAX] [--runs 5]
  bench/lambda_cold_start.py ZIP --event deploy/events/scheduled.json
MASKWATCH_* variables are passed to the function.
"""
import argparse, base64, http.server, json, os, shutil, statistics, subprocess, sys, tempfile, threading, time, zipfile


def serve_once(event, got):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path.endswith("/runtime/invocation/next") and not got.get("sent"):
                got["sent"] = True
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", "cold-start-1")
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:  # no more events: hold the poll until the test ends
                time.sleep(30)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            got["t"] = time.monotonic()
            got["path"] = self.path
            got["body"] = self.rfile.read(n).decode()
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            got["done"].set()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("image", nargs="?")
    ap.add_argument("--event", help="send this JSON event instead of a classify request")
    ap.add_argument("--box", action="append", default=[])
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="mw-lambda-")
    try:
        with zipfile.ZipFile(a.zip) as z:
            for info in z.infolist():
                z.extract(info, root)
                mode = info.external_attr >> 16
                if mode:
                    os.chmod(os.path.join(root, info.filename), mode & 0o777)
        if a.event:
            event = json.load(open(a.event))
        elif a.image:
            event = {"image": base64.b64encode(open(a.image, "rb").read()).decode()}
        else:
            ap.error("give an IMAGE or --event")
        if a.box and not a.event:
            event["boxes"] = [[float(v) for v in b.split(",")] for b in a.box]
        times = []
        for run in range(a.runs):
            got = {"done": threading.Event()}
            srv = serve_once(event, got)
            env = {"PATH": "/usr/bin:/bin", "LAMBDA_TASK_ROOT": root, "MASKWATCH_THREADS": "2",
                   "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % srv.server_address[1]}
            env.update({k: v for k, v in os.environ.items() if k.startswith(("MASKWATCH_", "AWS_ENDPOINT"))})
            t0 = time.monotonic()
            p = subprocess.Popen([os.path.join(root, "bootstrap")], env=env, cwd=root)
            ok = got["done"].wait(120)
            p.terminate()
            p.wait(10)
            srv.shutdown()
            if not ok or not got["path"].endswith("/response"):
                print("run %d failed: %s %s" % (run, got.get("path"), got.get("body", "")[:300]), file=sys.stderr)
                return 1
            times.append(got["t"] - t0)
            if run == 0:
                print("result:", got["body"][:300])
        print(json.dumps({"cold_start_s": {"min": min(times), "median": statistics.median(times), "max": max(times)},
                          "runs": len(times), "zip_bytes": os.path.getsize(a.zip)}))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
