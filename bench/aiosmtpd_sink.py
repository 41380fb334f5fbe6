"""The lab-throughput baseline's handler: accepts every message, keeps only a count.

Run as `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd_sink.Sink` with this folder on
PYTHONPATH. On SIGTERM it prints {"messages": N} as one JSON line and exits at once, so the
bench can compare what the server received with what the load generator sent.

`python3 aiosmtpd_sink.py PORT BACKLOG` serves the same handler the way aiosmtpd's main does
but with the given listen backlog: the bench passes the lab's own (Node's 511, read from the
kernel), so both queue the same number of connects. `python3 -m aiosmtpd` gets asyncio's
default of 100, and 1,000 clients connecting at once overflow it (their handshakes then wait
1-30 s for SYN-ACK retransmissions), which is most of its time under smtp-source: the bench
shows that stock run only as context.
"""

import asyncio
import json
import os
import signal
import sys
from functools import partial


class Sink:
    def __init__(self):
        self.messages = 0
        signal.signal(signal.SIGTERM, self._report)

    async def handle_DATA(self, server, session, envelope):
        # The body is not kept: the baseline must do no more work than the lab's capture.
        self.messages += 1
        return "250 OK"

    def _report(self, _signum, _frame):
        sys.stdout.write(json.dumps({"messages": self.messages}) + "\n")
        sys.stdout.flush()
        # Straight out: aiosmtpd's main would wait for open sessions to finish.
        os._exit(0)


def serve(port, backlog):
    from aiosmtpd.smtp import SMTP

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = Sink()
    # As aiosmtpd's main builds it, but with the backlog and, as the lab, a fixed host name
    # (without one aiosmtpd asks socket.getfqdn() once per session: about 9% of its CPU here).
    factory = partial(SMTP, handler, hostname="mx.lab.test", data_size_limit=33554432, enable_SMTPUTF8=False)
    loop.run_until_complete(loop.create_server(factory, host="127.0.0.1", port=port, backlog=backlog))
    loop.run_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
