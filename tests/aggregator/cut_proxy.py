#!/usr/bin/python3
"""A TCP proxy whose link a test can cut and mend, for a gateway that must stay up while the
aggregator's link to it is down.

Usage: cut_proxy.py TARGET_PORT -- listens on 127.0.0.1 at a free port, forwards every
connection to 127.0.0.1:TARGET_PORT and prints "http://127.0.0.1:<port>/" once ready.
SIGUSR1 cuts: every open connection is closed and new ones are closed at once (a link down).
SIGUSR2 mends: new connections are forwarded again. SIGTERM ends it.
"""
import signal
import socket
import sys
import threading

TARGET = ("127.0.0.1", int(sys.argv[1]))
lock = threading.Lock()
cut = False
open_sockets = set()


def close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    with lock:
        open_sockets.discard(source)
        open_sockets.discard(sink)
    close(source)
    close(sink)


def on_cut(signum, frame):
    global cut
    with lock:
        cut = True
        sockets = list(open_sockets)
        open_sockets.clear()
    for sock in sockets:
        close(sock)


def on_mend(signum, frame):
    global cut
    with lock:
        cut = False


def main():
    signal.signal(signal.SIGUSR1, on_cut)
    signal.signal(signal.SIGUSR2, on_mend)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    sys.stdout.write("http://127.0.0.1:%d/\n" % listener.getsockname()[1])
    sys.stdout.flush()
    while True:
        try:
            client, _ = listener.accept()
        except InterruptedError:
            continue
        with lock:
            refused = cut
        if refused:
            close(client)
            continue
        try:
            upstream = socket.create_connection(TARGET, timeout=5)
            upstream.settimeout(None)
        except OSError:
            close(client)
            continue
        with lock:
            open_sockets.update((client, upstream))
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(source, sink), daemon=True).start()


if __name__ == "__main__":
    main()
