#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of OpenSearch/Elasticsearch, for tests.

Listens on a loopback address, forwards HTTP/1.1 requests (keep-alive) to a
loopback upstream, and injects faults on a schedule:

  status       answer a whole request with an error status (429, 503, 502, 504...)
               without forwarding it; Elasticsearch-shaped error bodies
  partial      (_bulk only) choose some documents (each with probability
               "fraction", or exactly "count" of them), forward the others, and
               answer the chosen ones with per-item 429
               es_rejected_execution_exception, as a saturated cluster does;
               the chosen documents are really NOT indexed
  delay        hold the request (where=before) or the answer (where=after) ms
  drop_before  read the headers and part of the body, then close the
               connection: nothing reaches the upstream
  drop_after   forward the request, then close without answering: the
               upstream did the work, the client never hears of it

Schedule (JSON, --schedule TEXT or --schedule @FILE):

  {"seed": 7,
   "rules": [
     {"match": "bulk", "nth": [1, 2], "fault": "status", "status": 429, "retry_after": 1},
     {"match": "bulk", "every": 5, "offset": 3, "fault": "partial", "fraction": 0.3},
     {"match": "bulk", "probability": 0.05, "fault": "drop_before", "limit": 3},
     {"match": "any",  "every": 9, "fault": "delay", "ms": 1500, "where": "after"}]}

"match" is bulk (paths with /_bulk), health (/_cluster/health), template
(/_index_template) or any. Each
rule counts the requests it matches (1-based n); it fires when n is in "nth",
or n % every == offset % every, or with "probability"; at most "limit" times.
The first rule that fires decides; otherwise the request is forwarded as is.

Security, as a secured cluster has it (OpenSearch's security plugin):
  --tls-cert/--tls-key   listen with TLS (a client verifies the certificate
                         with its CA file)
  --require-auth VALUE   every proxied request must carry "Authorization:
                         VALUE" (repeat for several accepted values, e.g.
                         "Basic dXNlcjpwdw==" and "ApiKey aWQ6a2V5"); any other
                         is answered 401 security_exception and not forwarded

Control endpoints (answered by the proxy itself):
  GET  /_faultproxy/stats      counters as JSON
  POST /_faultproxy/schedule   replace the schedule (body: schedule JSON)

Bounded: stops by itself after --max-requests requests or --max-seconds, and
prints the counters as JSON on stdout when it stops (also to --stats-file).
Loopback only: both the listen and the upstream address must be loopback.
The first line on stdout is "faultproxy listening on HOST:PORT".
"""

import argparse
import asyncio
import gzip
import ipaddress
import json
import random
import signal
import ssl
import sys
import time

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "accept-encoding", "expect",
               "proxy-connection", "te", "trailer", "upgrade"}
MAX_BODY = 512 << 20


def loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class Rule:
    def __init__(self, spec):
        self.spec = spec
        self.match = spec.get("match", "bulk")
        if self.match not in ("any", "bulk", "health", "template"):
            raise ValueError(f"unknown match {self.match!r}")
        self.fault = spec["fault"]
        if self.fault not in ("status", "partial", "delay", "drop_before", "drop_after"):
            raise ValueError(f"unknown fault {self.fault!r}")
        self.nth = set(spec.get("nth", []))
        self.every = int(spec.get("every", 0))
        self.offset = int(spec.get("offset", 0))
        self.probability = float(spec.get("probability", 0))
        self.limit = spec.get("limit")
        self.seen = 0
        self.fired = 0

    def matches(self, path):
        if self.match == "any":
            return not path.startswith("/_faultproxy")
        if self.match == "bulk":
            return "/_bulk" in path
        if self.match == "health":
            return path.startswith("/_cluster/health")
        if self.match == "template":
            return path.startswith("/_index_template")
        return False

    def fires(self, rng):
        n = self.seen
        hit = n in self.nth
        if self.every > 0 and n % self.every == self.offset % self.every:
            hit = True
        if self.probability > 0 and rng.random() < self.probability:
            hit = True
        if hit and self.limit is not None and self.fired >= int(self.limit):
            hit = False
        if hit:
            self.fired += 1
        return hit


class Schedule:
    def __init__(self, spec):
        self.spec = spec or {}
        self.rng = random.Random(self.spec.get("seed", 1))
        self.rules = [Rule(r) for r in self.spec.get("rules", [])]

    def decide(self, path):
        chosen = None
        for rule in self.rules:
            if rule.matches(path):
                rule.seen += 1
                if chosen is None and rule.fires(self.rng):
                    chosen = rule
        return chosen


class HttpError(Exception):
    pass


async def read_head(reader):
    """Reads a request or status line plus headers; None at a clean EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise HttpError("connection closed inside the headers")
    except asyncio.LimitOverrunError:
        raise HttpError("headers too large")
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return first, headers


def header(headers, name, default=None):
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return default


async def read_body(reader, headers, limit=None):
    """Body by Content-Length or chunked encoding. `limit`: read at most that
    many bytes of a Content-Length body (used to drop mid-request)."""
    te = (header(headers, "transfer-encoding") or "").lower()
    if "chunked" in te:
        out = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(out)
            out += await reader.readexactly(size)
            await reader.readexactly(2)
            if len(out) > MAX_BODY:
                raise HttpError("body too large")
    n = int(header(headers, "content-length", "0") or 0)
    if n > MAX_BODY:
        raise HttpError("body too large")
    if limit is not None:
        n = min(n, limit)
    return await reader.readexactly(n)


def es_error(status, etype, reason):
    return json.dumps({"error": {"root_cause": [{"type": etype, "reason": reason}], "type": etype, "reason": reason},
                       "status": status}).encode()


def status_body(status):
    if status == 429:
        return "application/json", es_error(429, "es_rejected_execution_exception",
                                            "rejected execution of coordinating operation [injected by faultproxy]")
    if status == 503:
        return "application/json", es_error(503, "unavailable_shards_exception",
                                            "primary shard is not active [injected by faultproxy]")
    if status == 413:
        return "text/plain", b"request entity too large [injected by faultproxy]"
    if status == 403:
        return "application/json", es_error(403, "security_exception",
                                            "no permissions for [indices:admin/index_template/put] [injected by faultproxy]")
    return "text/html", f"<html><body><h1>{status} injected by faultproxy</h1></body></html>\n".encode()


def response_bytes(status, reason, headers, body):
    out = [f"HTTP/1.1 {status} {reason}"]
    for k, v in headers:
        if k.lower() in HOP_HEADERS:
            continue
        out.append(f"{k}: {v}")
    out.append(f"content-length: {len(body)}")
    out.append("")
    out.append("")
    return "\r\n".join(out).encode("latin-1") + body


def split_bulk(body):
    """NDJSON _bulk body -> list of (op, [lines]) documents."""
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    docs, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        action = json.loads(lines[i])
        op = next(iter(action))
        if op == "delete":
            docs.append((op, [lines[i]]))
            i += 1
        else:
            docs.append((op, lines[i:i + 2]))
            i += 2
    return docs


class Proxy:
    def __init__(self, args, schedule):
        self.args = args
        self.schedule = schedule
        self.upstream = split_hostport(args.upstream)
        self.started = time.monotonic()
        self.requests = 0
        self.stats = {"requests": 0, "bulk_requests": 0, "forwarded": 0, "status": {}, "partial_requests": 0,
                      "partial_items_failed": 0, "bulk_items_forwarded": 0, "bulk_items_received": 0, "delays": 0, "drop_before": 0,
                      "drop_after": 0, "upstream_errors": 0, "client_errors": 0, "auth_accepted": 0,
                      "auth_refused": 0}
        self.done = asyncio.Event()
        self.server = None

    @staticmethod
    def count_docs(headers, body):
        try:
            if (header(headers, "content-encoding") or "").lower() == "gzip":
                body = gzip.decompress(body)
            return len(split_bulk(body))
        except (OSError, ValueError, StopIteration):
            return 0

    def count_status(self, s):
        self.stats["status"][str(s)] = self.stats["status"].get(str(s), 0) + 1

    async def upstream_roundtrip(self, conn, method, path, headers, body):
        """Sends one request upstream on `conn` (a [reader, writer] list,
        (re)opened as needed) and returns (status, reason, headers, body)."""
        for attempt in (0, 1):
            if conn[0] is None:
                conn[0], conn[1] = await asyncio.open_connection(*self.upstream)
            reader, writer = conn
            lines = [f"{method} {path} HTTP/1.1"]
            for k, v in headers:
                if k.lower() in HOP_HEADERS or k.lower() == "host":
                    continue
                lines.append(f"{k}: {v}")
            lines.append(f"host: {self.upstream[0]}:{self.upstream[1]}")
            lines.append(f"content-length: {len(body)}")
            lines.append("connection: keep-alive")
            try:
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
                head = await read_head(reader)
                if head is None:
                    raise ConnectionResetError("upstream closed")
                status_line, rheaders = head
                parts = status_line.split(" ", 2)
                status = int(parts[1])
                reason = parts[2] if len(parts) > 2 else ""
                rbody = b"" if method == "HEAD" else await read_body(reader, rheaders)
                if (header(rheaders, "connection") or "").lower() == "close":
                    writer.close()
                    conn[0] = conn[1] = None
                return status, reason, rheaders, rbody
            except (ConnectionError, asyncio.IncompleteReadError, HttpError):
                if conn[1] is not None:
                    conn[1].close()
                conn[0] = conn[1] = None
                if attempt == 1:
                    raise
        raise ConnectionError("unreachable")

    async def partial(self, conn, method, path, headers, body, rule):
        if (header(headers, "content-encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
        docs = split_bulk(body)
        rng = self.schedule.rng
        if "count" in rule.spec:  # exactly this many (or all)
            failed = set(rng.sample(range(len(docs)), min(int(rule.spec["count"]), len(docs))))
        else:  # each document independently
            fraction = float(rule.spec.get("fraction", 0.25))
            failed = {i for i in range(len(docs)) if rng.random() < fraction}
        keep = [d for i, d in enumerate(docs) if i not in failed]
        items_up = []
        if keep:
            new_body = b"\n".join(line for _, lines in keep for line in lines) + b"\n"
            status, reason, rheaders, rbody = await self.upstream_roundtrip(
                conn, method, path, [(k2, v) for k2, v in headers if k2.lower() != "content-encoding"], new_body)
            self.stats["forwarded"] += 1
            self.stats["bulk_items_forwarded"] += len(keep)
            if status != 200:
                return status, reason, rheaders, rbody
            answer = json.loads(rbody)
            items_up = answer.get("items", [])
            if len(items_up) != len(keep):
                raise HttpError(f"upstream answered {len(items_up)} items for {len(keep)}")
        items, up = [], iter(items_up)
        for i, (op, _) in enumerate(docs):
            if i in failed:
                items.append({op: {"status": 429, "error": {
                    "type": "es_rejected_execution_exception",
                    "reason": "rejected execution of primary operation [injected by faultproxy]"}}})
            else:
                items.append(next(up))
        self.stats["partial_requests"] += 1
        self.stats["partial_items_failed"] += len(failed)
        out = json.dumps({"took": 1, "errors": True, "items": items}).encode()
        return 200, "OK", [("content-type", "application/json; charset=UTF-8")], out

    async def control(self, method, path, body):
        if path.startswith("/_faultproxy/stats"):
            return 200, self.snapshot()
        if path.startswith("/_faultproxy/schedule") and method in ("POST", "PUT"):
            self.schedule = Schedule(json.loads(body or b"{}"))
            return 200, {"acknowledged": True}
        return 404, {"error": "unknown faultproxy endpoint"}

    def snapshot(self):
        s = dict(self.stats)
        s["rules"] = [{"rule": r.spec, "seen": r.seen, "fired": r.fired} for r in self.schedule.rules]
        s["seconds"] = round(time.monotonic() - self.started, 3)
        return s

    async def handle(self, reader, writer):
        conn = [None, None]
        try:
            while not self.done.is_set():
                head = await read_head(reader)
                if head is None:
                    return
                request_line, headers = head
                method, path, _ = request_line.split(" ", 2)
                if path.startswith("/_faultproxy"):
                    body = await read_body(reader, headers)
                    status, obj = await self.control(method, path, body)
                    writer.write(response_bytes(status, "OK", [("content-type", "application/json")],
                                                json.dumps(obj).encode()))
                    await writer.drain()
                    continue
                self.requests += 1
                self.stats["requests"] += 1
                if "/_bulk" in path:
                    self.stats["bulk_requests"] += 1
                if self.args.require_auth:
                    if header(headers, "authorization") not in self.args.require_auth:
                        await read_body(reader, headers)
                        self.stats["auth_refused"] += 1
                        self.count_status(401)
                        body = es_error(401, "security_exception",
                                        "missing or wrong authentication credentials for REST request [" + path + "]")
                        writer.write(response_bytes(401, "Unauthorized", [
                            ("content-type", "application/json"),
                            ("www-authenticate", 'Basic realm="OpenSearch Security"')], body))
                        await writer.drain()
                        continue
                    self.stats["auth_accepted"] += 1
                rule = self.schedule.decide(path)
                fault = rule.fault if rule else None
                if fault == "drop_before":
                    # Nothing of it is read whole, so its documents are not counted as received.
                    n = int(header(headers, "content-length", "0") or 0)
                    await read_body(reader, headers, limit=n // 2)
                    self.stats["drop_before"] += 1
                    return  # closes mid-request
                body = await read_body(reader, headers)
                if "/_bulk" in path and method in ("POST", "PUT"):
                    self.stats["bulk_items_received"] += self.count_docs(headers, body)
                if fault == "status":
                    st = int(rule.spec.get("status", 503))
                    ctype, ebody = status_body(st)
                    extra = [("content-type", ctype)]
                    if "retry_after" in rule.spec:
                        extra.append(("retry-after", str(rule.spec["retry_after"])))
                    self.count_status(st)
                    writer.write(response_bytes(st, "Injected", extra, ebody))
                    await writer.drain()
                    continue
                if fault == "delay" and rule.spec.get("where", "after") == "before":
                    self.stats["delays"] += 1
                    await asyncio.sleep(float(rule.spec.get("ms", 1000)) / 1000)
                try:
                    if fault == "partial" and "/_bulk" in path and method in ("POST", "PUT"):
                        status, reason, rheaders, rbody = await self.partial(conn, method, path, headers, body, rule)
                    else:
                        status, reason, rheaders, rbody = await self.upstream_roundtrip(conn, method, path, headers, body)
                        self.stats["forwarded"] += 1
                except (ConnectionError, OSError, asyncio.IncompleteReadError, HttpError) as e:
                    self.stats["upstream_errors"] += 1
                    status, reason = 502, "Bad Gateway"
                    rheaders, rbody = [("content-type", "text/plain")], f"faultproxy: upstream failed: {e}\n".encode()
                if fault == "drop_after":
                    self.stats["drop_after"] += 1
                    return
                if fault == "delay" and rule.spec.get("where", "after") == "after":
                    self.stats["delays"] += 1
                    await asyncio.sleep(float(rule.spec.get("ms", 1000)) / 1000)
                writer.write(response_bytes(status, reason, rheaders, b"" if method == "HEAD" else rbody))
                await writer.drain()
                if self.requests >= self.args.max_requests:
                    self.done.set()
        except (ConnectionError, asyncio.IncompleteReadError, HttpError, ValueError) as e:
            self.stats["client_errors"] += 1
            if self.args.verbose:
                print(f"faultproxy: client connection: {e!r}", file=sys.stderr)
        finally:
            for w in (writer, conn[1]):
                if w is not None:
                    try:
                        w.close()
                    except Exception:
                        pass

    async def run(self):
        host, port = split_hostport(self.args.listen)
        tls = None
        if self.args.tls_cert:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(self.args.tls_cert, self.args.tls_key)
        self.server = await asyncio.start_server(self.handle, host, port, reuse_address=True, limit=1 << 20, ssl=tls)
        sock = self.server.sockets[0].getsockname()
        print(f"faultproxy listening on {sock[0]}:{sock[1]}", flush=True)
        if self.args.port_file:
            with open(self.args.port_file, "w") as f:
                f.write(str(sock[1]))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.done.set)
        try:
            await asyncio.wait_for(self.done.wait(), timeout=self.args.max_seconds)
        except asyncio.TimeoutError:
            pass
        self.server.close()
        snap = self.snapshot()
        text = json.dumps(snap)
        print(text, flush=True)
        if self.args.stats_file:
            with open(self.args.stats_file, "w") as f:
                f.write(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (loopback; port 0: any free port)")
    ap.add_argument("--upstream", default="127.0.0.1:19200", help="HOST:PORT of OpenSearch (loopback)")
    ap.add_argument("--schedule", default="{}", help="schedule JSON, or @FILE")
    ap.add_argument("--max-requests", type=int, default=100000, help="stop after this many proxied requests")
    ap.add_argument("--max-seconds", type=float, default=600, help="stop after this long")
    ap.add_argument("--stats-file", help="write the final counters here")
    ap.add_argument("--port-file", help="write the listening port here")
    ap.add_argument("--tls-cert", help="PEM certificate (chain) to listen with TLS")
    ap.add_argument("--tls-key", help="PEM private key of --tls-cert")
    ap.add_argument("--require-auth", action="append", default=[], metavar="VALUE",
                    help="accepted Authorization header value (repeatable); others get 401")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    for name in ("listen", "upstream"):
        host, _ = split_hostport(getattr(args, name))
        if not loopback(host):
            ap.error(f"--{name} {host}: only loopback addresses are allowed")
    text = args.schedule
    if text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read()
    schedule = Schedule(json.loads(text))
    asyncio.run(Proxy(args, schedule).run())


if __name__ == "__main__":
    main()
