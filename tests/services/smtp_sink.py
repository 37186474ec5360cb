"""A minimal SMTP server on loopback that records messages, and can hold a connection to order.

Enough of RFC 5321 for Django's SMTP backend: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
"""

import socket
import threading


class SmtpSink:
    def __init__(self):
        self.messages: list[str] = []
        self.connections = 0
        self.hold_first = threading.Event()  # set: the first connection waits (no greeting) until released
        self.release = threading.Event()
        self.held = threading.Event()  # set once the first connection is being held
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self.release.set()
        self._server.close()

    def _serve(self):
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            number = self.connections
            threading.Thread(target=self._session, args=(connection, number), daemon=True).start()

    def _session(self, connection: socket.socket, number: int):
        with connection:
            if number == 1 and self.hold_first.is_set():
                self.held.set()
                self.release.wait(timeout=60)
                return  # the client is gone by now
            reader = connection.makefile("rb")
            connection.sendall(b"220 sink ESMTP\r\n")
            while True:
                line = reader.readline()
                if not line:
                    return
                command = line.decode("ascii", "replace").strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    connection.sendall(b"250 sink\r\n")
                elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                    connection.sendall(b"250 OK\r\n")
                elif command == "DATA":
                    connection.sendall(b"354 go ahead\r\n")
                    data = []
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        data.append(chunk.decode("utf-8", "replace"))
                    self.messages.append("".join(data))
                    connection.sendall(b"250 queued\r\n")
                elif command == "QUIT":
                    connection.sendall(b"221 bye\r\n")
                    return
                else:
                    connection.sendall(b"502 not here\r\n")
