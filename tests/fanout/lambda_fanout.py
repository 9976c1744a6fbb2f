#!/usr/bin/env python3
"""A scan of an S3 prefix fanned out over Lambda, on loopback, with faults.

It runs what AWS runs, with real parts where they exist here:
  * S3: s3rver, behind a proxy that answers 503 SlowDown for a while;
  * DynamoDB: dynalite (the photo table);
  * Lambda: N real function processes (the packaged `bootstrap`, or
    maskwatch-lambda) each served the Lambda Runtime API by this harness,
    behind the Lambda Invoke API (POST /2015-03-31/functions/NAME/invocations),
    which answers 429 TooManyRequestsException when every instance is busy
    and for a share of calls; an instance is killed in the middle of a
    batch and started again (a cold start), as Lambda does;
  * Step Functions: the Distributed Map of deploy/scan.asl.json read for its
    batch size, concurrency, retriers and tolerated failures, and driven
    over the Invoke API: ListObjectsV2 of the prefix, batches of
    {"Items": [...], "BatchInput": {"bucket"}}, each retried as its
    Retry rules say.
At the end the photo table is read back: every listed object must have
exactly one record. Prints a JSON summary; exit 0 when nothing was lost or
doubled.

  lambda_fanout.py --function build/maskwatch-lambda --maskwatch build/maskwatch \\
      --services tests/services --store STORE --model ID --photos DIR --copies 1
"""
import argparse, http.client, http.server, json, os, random, shutil, signal, socket, subprocess, sys, tempfile
import threading, time, urllib.parse, uuid, zipfile
import xml.etree.ElementTree as ET

BUCKET = "photos"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("%s exited during start-up" % what)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("%s did not start" % what)


def serve(handler_class):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def reply(h, status, body=b"", headers=()):
    try:
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):  # the caller is gone (a killed instance)
        pass


class Faults:
    """What goes wrong, and a count of what did."""

    def __init__(self, a):
        self.slowdown_after, self.slowdown_for = a.slowdown_after, a.slowdown_for
        self.throttle_share, self.kill_batch = a.throttle_share, a.kill_batch
        self.start = None
        self.lock = threading.Lock()
        self.counts = {"s3_503": 0, "throttled": 0, "killed": 0, "invocations": 0, "cold_starts": 0}

    def add(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def slowing_down(self):
        if self.start is None or self.slowdown_for <= 0:
            return False
        t = time.monotonic() - self.start
        return self.slowdown_after <= t < self.slowdown_after + self.slowdown_for


def s3_proxy(s3_port, faults):
    """Forwards to s3rver; 503 SlowDown to object reads while the fault lasts."""

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def forward(self):
            n = int(self.headers.get("Content-Length", 0) or 0)
            body = self.rfile.read(n) if n else None
            if self.command in ("GET", "HEAD") and "?" not in self.path and faults.slowing_down():
                faults.add("s3_503")
                err = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                return reply(self, 503, err if self.command == "GET" else b"", [("Content-Type", "application/xml")])
            c = http.client.HTTPConnection("127.0.0.1", s3_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            headers["Host"] = self.headers.get("Host", "")
            c.request(self.command, self.path, body, headers)
            r = c.getresponse()
            data = r.read()
            hop = ("transfer-encoding", "connection", "content-length")
            reply(self, r.status, data if self.command != "HEAD" else b"",
                  [(k, v) for k, v in r.getheaders() if k.lower() not in hop])
            if self.command == "HEAD":  # HEAD announces the object's length without a body
                pass
            c.close()

        do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = forward

    return serve(Proxy)


class Instance:
    """One function process and the Runtime API it polls."""

    def __init__(self, pool, index):
        self.pool, self.index = pool, index
        self.cond = threading.Condition()
        self.pending = None  # (request_id, event bytes)
        self.waiter = None  # the invocation in flight: {"done": Event, "status", "body", "error"}
        self.ready = False
        self.server = serve(self.runtime_handler())
        self.proc = None
        self.start()

    def start(self):
        env = dict(self.pool.env, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % self.server.server_address[1])
        log = open(os.path.join(self.pool.logs, "instance-%d.log" % self.index), "ab")
        self.proc = subprocess.Popen([self.pool.function], env=env, stdout=log, stderr=log,
                                     cwd=os.path.dirname(os.path.abspath(self.pool.function)))
        self.pool.faults.add("cold_starts")
        threading.Thread(target=self.watch, args=(self.proc,), daemon=True).start()

    def watch(self, proc):
        proc.wait()
        with self.cond:
            self.ready = False
            w, self.waiter = self.waiter, None
        if w:  # died in the middle of an invocation: Lambda answers Runtime.ExitError
            w.update(error={"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"})
            w["done"].set()
        if not self.pool.stopping:
            self.start()

    def runtime_handler(self):
        inst = self

        class Runtime(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return reply(self, 404)
                with inst.cond:
                    inst.ready = True
                    inst.pool.wake()
                    while inst.pending is None:
                        if inst.pool.stopping:
                            return reply(self, 500)
                        inst.cond.wait(0.5)
                    request_id, event = inst.pending
                    inst.pending = None
                reply(self, 200, event, [("Lambda-Runtime-Aws-Request-Id", request_id),
                                         ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900000)),
                                         ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:1:function:mw"),
                                         ("Lambda-Runtime-Trace-Id", "Root=1-0-0")])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                reply(self, 202)
                with inst.cond:
                    w, inst.waiter = inst.waiter, None
                if w is None:
                    return
                if self.path.endswith("/response"):
                    w.update(body=body)
                else:
                    w.update(error=json.loads(body or b"{}"))
                w["done"].set()

        return Runtime

    def try_assign(self, event):
        with self.cond:
            if not self.ready or self.waiter is not None or self.proc.poll() is not None:
                return None
            w = {"done": threading.Event()}
            self.waiter, self.ready = w, False
            self.pending = (str(uuid.uuid4()), event)
            self.cond.notify_all()
            return w


class Pool:
    """The Lambda service: the Invoke API over the instances."""

    def __init__(self, a, env, faults, logs):
        self.function, self.env, self.faults, self.logs = a.function, env, faults, logs
        self.stopping = False
        self.lock = threading.Condition()
        self.invocations = 0
        self.kill_batch = a.kill_batch
        self.instances = [Instance(self, i) for i in range(a.instances)]
        self.rng = random.Random(a.seed)

    def wake(self):
        with self.lock:
            self.lock.notify_all()

    def invoke(self, payload):
        """(status, headers, body) as Lambda's Invoke API answers."""
        with self.lock:
            throttle = self.rng.random() < self.faults.throttle_share
        w = None
        if not throttle:
            for inst in self.instances:
                w = inst.try_assign(payload)
                if w:
                    break
        if w is None:  # every instance busy (or starting), or a throttle drawn: 429
            self.faults.add("throttled")
            body = json.dumps({"Type": "User", "message": "Rate Exceeded."}).encode()
            return 429, [("x-amzn-ErrorType", "TooManyRequestsException")], body
        with self.lock:
            self.invocations += 1
            n = self.invocations
        self.faults.add("invocations")
        if n == self.kill_batch:  # kill this instance part-way through its batch
            threading.Timer(0.4, lambda: (self.faults.add("killed"), inst.proc.kill())).start()
        w["done"].wait()
        if "error" in w:
            return 200, [("X-Amz-Function-Error", "Unhandled")], json.dumps(w["error"]).encode()
        return 200, [], w["body"]

    def serve_invoke_api(self):
        pool = self

        class Invoke(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                if not (self.path.startswith("/2015-03-31/functions/") and self.path.endswith("/invocations")):
                    return reply(self, 404)
                payload = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                status, headers, body = pool.invoke(payload)
                reply(self, status, body, headers + [("Content-Type", "application/json")])

        return serve(Invoke)

    def wait_ready(self, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if all(i.ready for i in self.instances):
                return
            time.sleep(0.05)
        sys.exit("the function instances did not start (see %s)" % self.logs)

    def cpu_seconds(self):
        """User + system CPU of the live instances (and of those that exited, as they were last seen)."""
        total = 0.0
        for i in self.instances:
            try:
                fields = open("/proc/%d/stat" % i.proc.pid).read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def peak_rss_mb(self):
        peak = 0
        for i in self.instances:
            try:
                for line in open("/proc/%d/status" % i.proc.pid):
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) // 1024)
            except OSError:
                pass
        return peak

    def stop(self):
        self.stopping = True
        for i in self.instances:
            if i.proc.poll() is None:
                i.proc.terminate()
        for i in self.instances:
            try:
                i.proc.wait(5)
            except subprocess.TimeoutExpired:
                i.proc.kill()


def list_objects(port, prefix):
    """ListObjectsV2 pages, as the Distributed Map's ItemReader gives them."""
    items, token = [], None
    ns = "{http://doc.s3.amazonaws.com/2006-03-01/}"
    while True:
        q = {"list-type": "2", "prefix": prefix}
        if token:
            q["continuation-token"] = token
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/%s?%s" % (BUCKET, urllib.parse.urlencode(q)))
        root = ET.fromstring(c.getresponse().read())
        for o in root.iter(ns + "Contents"):
            items.append({"Key": o.find(ns + "Key").text, "Etag": o.find(ns + "ETag").text,
                          "Size": int(o.find(ns + "Size").text), "StorageClass": "STANDARD"})
        token = root.findtext(ns + "NextContinuationToken")
        if root.findtext(ns + "IsTruncated") != "true":
            return items


def matches(retrier, error):
    names = retrier["ErrorEquals"]
    return error in names or "States.ALL" in names or (
        "States.TaskFailed" in names and not error.startswith("Lambda.TooManyRequests") and error != "States.Timeout")


def run_map(asl, invoke_port, items, time_scale, log, counts=None):
    """The Distributed Map: batches, MaxConcurrency at once, each retried by its Task's Retry rules;
    `counts` (DescribeMapRun's itemCounts) kept up to date."""
    state = asl["States"][asl["StartAt"]]
    batcher = state["ItemBatcher"]
    size = batcher["MaxItemsPerBatch"]
    task = state["ItemProcessor"]["States"][state["ItemProcessor"]["StartAt"]]
    retriers = task.get("Retry", [])
    batches = [items[i:i + size] for i in range(0, len(items), size)]
    todo = list(enumerate(batches))
    lock = threading.Lock()
    result = {"batches": len(batches), "failed_batches": 0, "retries": 0, "outputs": []}
    counts = counts if counts is not None else {}
    counts.update(total=len(items), pending=len(items), running=0, succeeded=0, failed=0, timedOut=0, aborted=0,
                  resultsWritten=0)

    def move(n, source, target):
        with lock:
            counts[source] -= n
            counts[target] += n

    def attempt(batch):
        body = json.dumps({"Items": batch, "BatchInput": {"bucket": BUCKET}}).encode()
        c = http.client.HTTPConnection("127.0.0.1", invoke_port, timeout=900)
        c.request("POST", "/2015-03-31/functions/maskwatch/invocations", body,
                  {"X-Amz-Invocation-Type": "RequestResponse"})
        r = c.getresponse()
        data = r.read()
        if r.status == 429:
            return "Lambda.TooManyRequestsException", None
        if r.getheader("X-Amz-Function-Error"):
            return json.loads(data).get("errorType", "States.TaskFailed"), None
        return None, json.loads(data)

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                index, batch = todo.pop(0)
            move(len(batch), "pending", "running")
            tries = {}
            while True:
                error, out = attempt(batch)
                if error is None:
                    with lock:
                        result["outputs"].append(out)
                    move(len(batch), "running", "succeeded")
                    break
                rule = next((i for i, r in enumerate(retriers) if matches(r, error)), None)
                if rule is None or tries.get(rule, 0) >= retriers[rule].get("MaxAttempts", 3):
                    log("batch %d failed: %s" % (index, error))
                    with lock:
                        result["failed_batches"] += 1
                    move(len(batch), "running", "failed")
                    break
                r = retriers[rule]
                delay = r.get("IntervalSeconds", 1) * r.get("BackoffRate", 2.0) ** tries.get(rule, 0)
                delay = min(delay, r.get("MaxDelaySeconds", delay))
                if r.get("JitterStrategy") == "FULL":
                    delay = random.uniform(0, delay)
                tries[rule] = tries.get(rule, 0) + 1
                with lock:
                    result["retries"] += 1
                time.sleep(delay * time_scale)

    threads = [threading.Thread(target=worker) for _ in range(min(state.get("MaxConcurrency", 1), len(batches)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tolerated = state.get("ToleratedFailurePercentage", 0)
    result["map_run"] = "SUCCEEDED" if result["failed_batches"] * 100.0 <= tolerated * max(1, len(batches)) else "FAILED"
    return result


STATE_MACHINE = "arn:aws:states:eu-west-1:111122223333:stateMachine:maskwatch-scan"


class StepFunctions:
    """The Step Functions API (JSON protocol) for the scan state machine:
    StartExecution runs its Distributed Map here; DescribeExecution,
    ListMapRuns and DescribeMapRun report it as AWS does."""

    def __init__(self, asl, s3_port, invoke_port, time_scale, log):
        self.asl, self.s3_port, self.invoke_port, self.time_scale, self.log = asl, s3_port, invoke_port, time_scale, log
        self.executions = {}
        self.lock = threading.Lock()

    def start(self, request):
        if request.get("stateMachineArn") != STATE_MACHINE:
            return 400, {"__type": "StateMachineDoesNotExist", "message": "no state machine %s" %
                         request.get("stateMachineArn")}
        try:
            given = json.loads(request.get("input", "{}"))
        except ValueError:
            return 400, {"__type": "InvalidExecutionInput", "message": "the input is not JSON"}
        if given.get("bucket") != BUCKET:
            return 400, {"__type": "InvalidExecutionInput", "message": "no bucket %s" % given.get("bucket")}
        arn = STATE_MACHINE.replace(":stateMachine:", ":execution:") + ":" + str(uuid.uuid4())
        ex = {"status": "RUNNING", "counts": {}, "start": time.time(), "input": request["input"], "result": None}
        with self.lock:
            self.executions[arn] = ex

        def run():
            items = list_objects(self.s3_port, given.get("prefix", ""))
            ex["result"] = run_map(self.asl, self.invoke_port, items, self.time_scale, self.log, ex["counts"])
            ex["status"] = "SUCCEEDED" if ex["result"]["map_run"] == "SUCCEEDED" else "FAILED"

        threading.Thread(target=run, daemon=True).start()
        return 200, {"executionArn": arn, "startDate": ex["start"]}

    def answer(self, op, request):
        if op == "StartExecution":
            return self.start(request)
        arn = request.get("executionArn") or request.get("mapRunArn", "").rsplit("/", 1)[0].replace(
            ":mapRun:", ":execution:")
        ex = self.executions.get(arn)
        if ex is None:
            return 400, {"__type": "ExecutionDoesNotExist", "message": "no execution %s" % arn}
        map_run = arn.replace(":execution:", ":mapRun:") + "/LabelPhotos:1"
        if op == "DescribeExecution":
            out = {"executionArn": arn, "stateMachineArn": STATE_MACHINE, "status": ex["status"],
                   "startDate": ex["start"], "input": ex["input"]}
            if ex["status"] == "FAILED":
                out.update(error="States.ExceedToleratedFailureThreshold", cause="too many failed batches")
            return 200, out
        if op == "ListMapRuns":
            return 200, {"mapRuns": [{"mapRunArn": map_run, "executionArn": arn, "stateMachineArn": STATE_MACHINE,
                                      "startDate": ex["start"]}] if ex["counts"] else []}
        if op == "DescribeMapRun":
            state = self.asl["States"][self.asl["StartAt"]]
            return 200, {"mapRunArn": map_run, "executionArn": arn, "status": ex["status"],
                         "maxConcurrency": state.get("MaxConcurrency", 0),
                         "toleratedFailurePercentage": state.get("ToleratedFailurePercentage", 0),
                         "itemCounts": dict(ex["counts"])}
        return 400, {"__type": "UnknownOperationException", "message": op}

    def serve(self):
        sfn = self

        class Api(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                target = self.headers.get("X-Amz-Target", "")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                if not target.startswith("AWSStepFunctions.") or "Credential=" not in self.headers.get(
                        "Authorization", ""):
                    return reply(self, 400, json.dumps({"__type": "MissingAuthenticationTokenException"}).encode())
                status, out = sfn.answer(target.split(".", 1)[1], json.loads(body or b"{}"))
                reply(self, status, json.dumps(out).encode(), [("Content-Type", "application/x-amz-json-1.0")])

        return serve(Api)


def unpack(zip_path, root):
    """The zip as Lambda unpacks it (modes kept); returns its bootstrap."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            z.extract(info, root)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(os.path.join(root, info.filename), mode & 0o777)
    return os.path.join(root, "bootstrap")


def put_object(port, key, data):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("PUT", "/%s/%s" % (BUCKET, urllib.parse.quote(key)), data)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("cannot put %s into s3rver: HTTP %d" % (key, r.status))
    return r.getheader("ETag").strip('"')


def upload_event(key, etag, size):
    """What the function receives for an upload: S3's Object Created event
    through EventBridge, as the message body of the photos queue (SQS)."""
    bridge = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
              "account": "111122223333", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "region": "eu-west-1", "resources": ["arn:aws:s3:::" + BUCKET],
              "detail": {"version": "0", "bucket": {"name": BUCKET},
                         "object": {"key": key, "size": size, "etag": etag, "sequencer": "0055AED6DCD90281E5"},
                         "reason": "PutObject"}}
    return {"Records": [{"messageId": str(uuid.uuid4()), "receiptHandle": "AQEB", "body": json.dumps(bridge),
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "eventSource": "aws:sqs", "awsRegion": "eu-west-1",
                         "eventSourceARN": "arn:aws:sqs:eu-west-1:111122223333:photos"}]}


def put_photos(port, photos_dir, copies, prefix):
    names = sorted(f for f in os.listdir(photos_dir) if f.lower().endswith((".jpg", ".png")))
    keys = []
    for n in range(copies):
        for name in names:
            key = "%sbatch %d/%s" % (prefix, n, name)
            with open(os.path.join(photos_dir, name), "rb") as f:
                put_object(port, key, f.read())
            keys.append(key)
    return keys


def check_upload(a, s3_port, invoke_port, env):
    """A photo put under incoming/, its event delivered twice (S3 delivers at
    least once): one record."""
    name = sorted(f for f in os.listdir(a.photos) if f.lower().endswith((".jpg", ".png")))[0]
    key = "incoming/camera 1/%s" % name
    data = open(os.path.join(a.photos, name), "rb").read()
    etag = put_object(s3_port, key, data)
    answers = []
    for _ in range(2):
        body = json.dumps(upload_event(key, etag, len(data))).encode()
        for _ in range(50):  # an instance may be busy or starting: 429, try again
            c = http.client.HTTPConnection("127.0.0.1", invoke_port, timeout=900)
            c.request("POST", "/2015-03-31/functions/maskwatch/invocations", body)
            r = c.getresponse()
            out = r.read()
            if r.status != 429:
                answers.append(json.loads(out))
                break
            time.sleep(0.1)
    uri = "s3://%s/incoming/" % BUCKET
    records = [r for r in read_records(a, env, "dynamodb://photos-fanout") if r["uri"].startswith(uri)]
    return {"uri": uri, "records": len(records), "answers": answers,
            "faces": len(records[0]["faces"]) if records else None}


def read_records(a, env, table):
    out = subprocess.run([a.maskwatch, "-q", "results", "--photos", "--results", table, "--json"], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("reading the photo table failed: " + out.stderr)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--function", required=True, help="the Lambda zip (maskwatch package), or maskwatch-lambda")
    ap.add_argument("--maskwatch", required=True, help="the maskwatch CLI (reads the photo table back)")
    ap.add_argument("--services", required=True, help="tests/services (s3rver, dynalite)")
    ap.add_argument("--store", required=True, help="the store with the model (MASKWATCH_STORE)")
    ap.add_argument("--model", default="latest")
    ap.add_argument("--detector", default="pretrained")
    ap.add_argument("--photos", required=True, help="a folder of photos, put under the prefix --copies times")
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--asl", default=os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "scan.asl.json"))
    ap.add_argument("--instances", type=int, default=4)
    ap.add_argument("--batch", type=int, default=0, help="items per batch (default: the state machine's)")
    ap.add_argument("--concurrency", type=int, default=0,
                    help="batches at once (default: the instances, as MaxConcurrency should match the function's)")
    ap.add_argument("--kill-batch", type=int, default=3, help="kill the instance running this invocation (0: none)")
    ap.add_argument("--slowdown-after", type=float, default=0.5, help="S3 answers 503 from this second...")
    ap.add_argument("--slowdown-for", type=float, default=2.0, help="...for this long (0: never)")
    ap.add_argument("--throttle-share", type=float, default=0.1, help="share of invokes answered 429")
    ap.add_argument("--time-scale", type=float, default=0.05, help="the state machine's retry delays times this")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--on-aws", action="store_true",
                    help="start the map with `maskwatch scan --on-aws` through the Step Functions API served here")
    ap.add_argument("--keep", action="store_true", help="keep the logs folder")
    a = ap.parse_args()
    a.function, a.maskwatch, a.store = map(os.path.abspath, (a.function, a.maskwatch, a.store))

    work = tempfile.mkdtemp(prefix="mw-fanout-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    faults = Faults(a)
    procs = []
    pool = None

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    try:
        s3_port, ddb_port = free_port(), free_port()
        node_env = dict(os.environ, NODE_OPTIONS=os.environ.get("NODE_OPTIONS", "") + " --openssl-legacy-provider")
        bin_dir = os.path.join(a.services, "node_modules", ".bin")
        s3 = subprocess.Popen([os.path.join(bin_dir, "s3rver"), "--directory", os.path.join(work, "s3"), "--address",
                               "127.0.0.1", "--port", str(s3_port), "--silent", "--configure-bucket", BUCKET],
                              env=node_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(s3)
        ddb = subprocess.Popen([os.path.join(bin_dir, "dynalite"), "--host", "127.0.0.1", "--port", str(ddb_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(ddb)
        wait_port(s3_port, s3, "s3rver")
        wait_port(ddb_port, ddb, "dynalite")
        t0 = time.monotonic()
        keys = put_photos(s3_port, a.photos, a.copies, "archive/")
        log("put %d photos into s3rver in %.1f s" % (len(keys), time.monotonic() - t0))

        if a.function.endswith(".zip"):
            a.function = unpack(a.function, os.path.join(work, "task"))
        proxy = s3_proxy(s3_port, faults)
        table = "dynamodb://photos-fanout"
        env = {"PATH": "/usr/bin:/bin", "HOME": work, "MASKWATCH_STORE": a.store, "MASKWATCH_MODEL": a.model,
               "MASKWATCH_DETECTOR": a.detector, "MASKWATCH_PHOTOS": table, "MASKWATCH_THREADS": "1",
               "OMP_WAIT_POLICY": "PASSIVE", "AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER",
               "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:%d" % proxy.server_address[1],
               "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:%d" % ddb_port}
        for k in ("MASKWATCH_FACE_API_DIR", "LD_LIBRARY_PATH"):
            if k in os.environ:
                env[k] = os.environ[k]
        pool = Pool(a, env, faults, logs)
        invoke = pool.serve_invoke_api()
        pool.wait_ready()

        asl = json.load(open(a.asl))
        state = asl["States"][asl["StartAt"]]
        if a.batch:
            state["ItemBatcher"]["MaxItemsPerBatch"] = a.batch
        state["MaxConcurrency"] = a.concurrency or a.instances
        items = list_objects(s3_port, "archive/")
        faults.start = time.monotonic()
        t0 = time.monotonic()
        cpu0 = pool.cpu_seconds()
        on_aws = None
        if a.on_aws:  # maskwatch scan --on-aws starts the state machine and follows it
            machine = StepFunctions(asl, s3_port, invoke.server_address[1], a.time_scale, log)
            sfn = machine.serve()
            cli = subprocess.run([a.maskwatch, "-q", "--json", "scan", "s3://%s/archive/" % BUCKET, "--on-aws",
                                  "--state-machine", STATE_MACHINE, "--poll", "0.2"], capture_output=True, text=True,
                                 env=dict(env, AWS_ENDPOINT_URL_SFN="http://127.0.0.1:%d" % sfn.server_address[1]))
            on_aws = {"rc": cli.returncode, "answer": json.loads(cli.stdout) if cli.stdout.strip() else cli.stderr}
            runs = [ex["result"] for ex in machine.executions.values() if ex["result"]]
            if len(runs) != 1:
                sys.exit("maskwatch scan --on-aws ran %d executions: %s" % (len(runs), on_aws))
            run = runs[0]
        else:
            run = run_map(asl, invoke.server_address[1], items, a.time_scale, log)
        seconds = time.monotonic() - t0
        cpu = pool.cpu_seconds() - cpu0
        upload = check_upload(a, s3_port, invoke.server_address[1], env)
        records = [r for r in read_records(a, env, table) if not r["uri"].startswith(upload["uri"])]
        uris = [r["uri"] for r in records]
        expected = {"s3://%s/%s" % (BUCKET, k) for k in keys}
        summary = {
            "objects": len(items), "seconds": round(seconds, 2),
            "photos_per_second": round(len(items) / seconds, 2) if seconds else None,
            "instances": a.instances, "function_cpu_seconds": round(cpu, 2),
            "cpu_seconds_per_photo": round(cpu / max(1, len(items)), 4), "peak_rss_mb": pool.peak_rss_mb(),
            "batches": run["batches"], "batch_retries": run["retries"], "failed_batches": run["failed_batches"],
            "map_run": run["map_run"], "records": len(records), "distinct": len(set(uris)),
            "missing": len(expected - set(uris)), "unexpected": len(set(uris) - expected),
            "failed_records": sum(1 for r in records if r.get("error")),
            "labelled_by_invocations": sum(o.get("labelled", 0) for o in run["outputs"]),
            "duplicates_seen": sum(o.get("duplicates", 0) for o in run["outputs"]),
            "function_ms_per_photo": round(sum(r["milliseconds"] for r in records) / max(1, len(records)), 1),
            "upload": upload, "on_aws": on_aws, **faults.counts}
        print(json.dumps(summary, indent=2))
        ok = (summary["records"] == summary["distinct"] == len(expected) and summary["missing"] == 0 and
              run["map_run"] == "SUCCEEDED" and upload["records"] == 1 and (on_aws is None or on_aws["rc"] == 0))
        if not ok:
            log("records lost or doubled; logs in %s" % logs)
            a.keep = True
        return 0 if ok else 1
    finally:
        if pool:
            pool.stop()
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        if a.keep:
            print("logs: %s" % logs, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
