"""How the loopback servers among the fakes (argocd_api.py, ingress_tls.py) run: until
SIGTERM/SIGINT, or, when asked, until their stdin closes — so a test that dies without
cleaning up cannot leave one behind."""

import signal
import sys
import threading


def serve_until_stopped(server, exit_on_stdin_eof):
    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if exit_on_stdin_eof:
        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            stop()
        threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()
    server.server_close()
