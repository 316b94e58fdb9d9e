#!/usr/bin/env python3
"""A minimal SMTP sink and a minimal SMTP client, for bench/mail (loopback only).

  smtp_sink.py serve PORT COUNTFILE   accept every message; write the count to COUNTFILE every 0.1 s
  smtp_sink.py send PORT N CONNS      send N small messages over CONNS connections; print messages/s
"""
import asyncio
import sys
import time

count = 0


async def session(reader, writer):
    global count
    writer.write(b"220 sink ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb == b"EHLO":
            writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go\r\n")
            while True:
                data = await reader.readline()
                if not data or data == b".\r\n":
                    break
            count += 1
            writer.write(b"250 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


async def report(path):
    while True:
        with open(path, "w") as f:
            f.write(str(count))
        await asyncio.sleep(0.1)


async def serve(port, path):
    server = await asyncio.start_server(session, "127.0.0.1", port)
    asyncio.ensure_future(report(path))
    async with server:
        await server.serve_forever()


async def client(port, n):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def reply():
        while True:
            line = await reader.readline()
            if line[3:4] != b"-":
                return line

    await reply()
    writer.write(b"EHLO client\r\n")
    await reply()
    body = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\n" + b"x" * 3000 + b"\r\n.\r\n"
    for _ in range(n):
        writer.write(b"MAIL FROM:<a@example.org>\r\n")
        await reply()
        writer.write(b"RCPT TO:<b@example.org>\r\n")
        await reply()
        writer.write(b"DATA\r\n")
        await reply()
        writer.write(body)
        await reply()
    writer.write(b"QUIT\r\n")
    await reply()
    writer.close()


async def send(port, n, conns):
    start = time.monotonic()
    await asyncio.gather(*(client(port, n // conns) for _ in range(conns)))
    print(f"{(n // conns) * conns / (time.monotonic() - start):.0f}")


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        asyncio.run(serve(int(sys.argv[2]), sys.argv[3]))
    else:
        asyncio.run(send(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
