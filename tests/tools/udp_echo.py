#!/usr/bin/env python3
"""A UDP echo for dataplane tests in network namespaces (no ping needed).

  udp_echo.py server ADDR PORT          echo every datagram back, until killed
  udp_echo.py client ADDR PORT COUNT    send COUNT datagrams, one at a time;
                                        exit 0 if every one came back within 1 s
"""
import socket
import sys


def server(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)


def client(addr, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    for i in range(count):
        payload = f"xdpdk echo {i}".encode()
        s.sendto(payload, (addr, port))
        try:
            data, _ = s.recvfrom(2048)
        except (socket.timeout, OSError):
            return 1
        if data != payload:
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "client":
        sys.exit(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.exit(__doc__)
