#!/usr/bin/env python3
"""A Go module proxy that demands HTTP basic auth over HTTPS: serves a GOPROXY tree.

Usage: auth-goproxy.py ROOT USER PASSWORD CERT KEY
Listens on 127.0.0.1 on a free port, with TLS (the go command sends credentials over
HTTPS only), and prints that port on its first line of output. Requests without the
credentials get 401; every request is logged to stderr.
"""

import base64
import functools
import http.server
import ssl
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    expected = ""

    def authorized(self):
        if self.headers.get("Authorization", "") == self.expected:
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="private modules"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_GET(self):
        if self.authorized():
            super().do_GET()

    def do_HEAD(self):
        if self.authorized():
            super().do_HEAD()


def main():
    root, user, password, cert, key = sys.argv[1:6]
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    Handler.expected = f"Basic {token}"
    handler = functools.partial(Handler, directory=root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
