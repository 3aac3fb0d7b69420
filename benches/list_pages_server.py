"""A one-off server for the memory of `list --all` (BENCHMARKS.md, section
8): PAGES pages of as many records as asked for (`pageSize`), each with a
collectionName of NAME_LEN characters (~15 MB a page of 100 at 150,000),
then an empty page, on 127.0.0.1:PORT.

Usage: python3 benches/list_pages_server.py PORT PAGES [NAME_LEN]"""
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, pages = int(sys.argv[1]), int(sys.argv[2])
name_len = int(sys.argv[3]) if len(sys.argv) > 3 else 150_000
name = "x" * name_len

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        page = body.get("currentPage", 1)
        size = body.get("pageSize", 10)
        recs = []
        if page <= pages:
            recs = [{"jobId": f"j-{page}-{i}", "collectionName": name,
                     "state": "Completed", "progress": 100} for i in range(size)]
        out = json.dumps({"code": 0, "data": {"count": None, "currentPage": page,
                                             "pageSize": size, "records": recs}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

HTTPServer(("127.0.0.1", port), H).serve_forever()
