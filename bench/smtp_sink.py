#!/usr/bin/env python3
"""A minimal SMTP sink and a minimal SMTP client, for bench/mail and bench/soak (loopback only).

  smtp_sink.py serve PORT COUNTFILE [--delay SECONDS] [--record FILE]
      accept every message; write the count to COUNTFILE every 0.1 s. With --delay, wait that
      long before accepting each message (a slow server). With --record, append one line per
      message accepted, written and flushed before the 250 that accepts it:
        <unix time accepted>\t<Message-ID without <>>\t<recipients, comma-separated>\t<first answer-link
        token or ->\t<unix time its data ended (the final ".": from then on the sender may be gone)>
  smtp_sink.py send PORT N CONNS      send N small messages over CONNS connections; print messages/s
"""
import asyncio
import email
import email.policy
import re
import sys
import time

count = 0
delay = 0.0
record = None
ANSWER_LINK = re.compile(r"/answer/([A-Za-z0-9_-]{20,})")


def describe(data, rcpts, ended):
    """The record line of one message: its Message-ID and the first answer-link token in it."""
    token = "-"
    message_id = "-"
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        message_id = (msg.get("Message-ID") or "-").strip().strip("<>")
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                found = ANSWER_LINK.search(part.get_content())
                if found:
                    token = found.group(1)
                    break
    except Exception as e:  # a message the sink cannot read is recorded as such
        message_id = f"unreadable:{type(e).__name__}"
    return f"{time.time():.3f}\t{message_id}\t{','.join(rcpts) or '-'}\t{token}\t{ended:.3f}\n"


async def session(reader, writer):
    global count
    writer.write(b"220 sink ESMTP\r\n")
    rcpts = []
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"MAIL":
                rcpts = []
                writer.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                found = re.search(rb"<([^>]*)>", line)
                rcpts.append(found.group(1).decode("utf-8", "replace") if found else "?")
                writer.write(b"250 OK\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go\r\n")
                await writer.drain()
                lines = []
                complete = False
                while True:
                    data = await reader.readline()
                    if not data:
                        break
                    if data == b".\r\n":
                        complete = True
                        break
                    # Dot-stuffing: a line starting with "." was sent with one more.
                    lines.append(data[1:] if data.startswith(b"..") else data)
                if not complete:
                    break  # the client went away mid-message: not accepted, not counted
                ended = time.time()
                if delay:
                    await asyncio.sleep(delay)
                if record is not None:
                    record.write(describe(b"".join(lines), rcpts, ended))
                    record.flush()
                count += 1
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    writer.close()


async def report(path):
    while True:
        with open(path, "w") as f:
            f.write(str(count))
        await asyncio.sleep(0.1)


async def serve(port, path):
    server = await asyncio.start_server(session, "127.0.0.1", port, limit=1 << 20)
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


def option(args, name, default=None):
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i : i + 2]
        return value
    return default


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "serve":
        delay = float(option(args, "--delay", "0"))
        path = option(args, "--record")
        if path:
            record = open(path, "a", encoding="utf-8")
        asyncio.run(serve(int(args[1]), args[2]))
    else:
        asyncio.run(send(int(args[1]), int(args[2]), int(args[3])))
