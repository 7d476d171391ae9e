"""How long a site that falls silent holds its drill on a PostgreSQL server.

    sudo python -m benchmarks.bench_dead_site [--wait 120]

A site's process holds a drill (its advisory lock) over TCP; then its network goes away
without a word (the loopback link is taken down: no FIN, no RST, as when a machine loses
power or its cable). A second connection, on the server's unix socket, looks every
0.2 s whether the drill is still held. Two sites are measured: Drillhall's connection
(which asks the server for keepalive probes and a user timeout) and a bare psycopg
connection with the system's TCP defaults, the baseline. Until the server lets go, nobody
can resume the drill.

Needs root: it runs itself in a private network namespace (``unshare -n``), so taking
its loopback link down touches nothing else on the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

from drills.store.database import Store

PORT = 54329
LOCK = "drillhall:drill:silent-site"
PRIVATE = "DRILLHALL_BENCH_NETNS"

# What each kind of site runs: hold the drill, say so, then hang (as if frozen).
SITES = {
    "drillhall": "from drills.store.database import Store\n"
    "store = Store({url!r})\nassert store.postgres is not None\n"
    "store.postgres.try_hold({lock!r})\n",
    "bare psycopg": "import psycopg\nfrom drills.store.postgres import lock_key\n"
    "conn = psycopg.connect({url!r}, autocommit=True)\n"
    "conn.execute('SELECT pg_advisory_lock(%s)', (lock_key({lock!r}),))\n",
}


def silent_for(kind: str, tcp_url: str, watcher: Store, wait: float) -> float | None:
    """Seconds from the site's network going away to the server letting go of its lock
    (None: still held after ``wait``)."""
    assert watcher.postgres is not None
    code = SITES[kind].format(url=tcp_url, lock=LOCK) + "print('held', flush=True)\n"
    code += "import time\ntime.sleep(3600)\n"
    site = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert site.stdout is not None and site.stdout.readline().strip() == "held"
        assert watcher.postgres.held_by_anyone(LOCK)
        subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
        start = time.monotonic()
        while watcher.postgres.held_by_anyone(LOCK):
            if time.monotonic() - start > wait:
                return None
            time.sleep(0.2)  # a sampling interval: the figure is what is measured
        return time.monotonic() - start
    finally:
        site.kill()
        site.wait()
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def measure(wait: float) -> None:
    from tests.postgres import fresh_database, throwaway_cluster

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with throwaway_cluster(tcp_port=PORT) as server:
        for kind in SITES:
            local = fresh_database(server)
            tcp = f"postgresql://drillhall@127.0.0.1:{PORT}{urlsplit(local).path}"
            watcher = Store(local)
            held = silent_for(kind, tcp, watcher, wait)
            watcher.close()
            shown = (
                f"let go after {held:.1f} s"
                if held is not None
                else f"still held after {wait:.0f} s"
            )
            print(f"{kind:>13}: the drill is {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wait", type=float, default=120.0, help="give up after (s)")
    args = parser.parse_args()
    if os.environ.get(PRIVATE) == "1":
        measure(args.wait)
        return
    if os.geteuid() != 0:
        sys.exit("bench_dead_site: needs root (a private network namespace)")
    env = {**os.environ, PRIVATE: "1"}
    command = ["unshare", "-n", sys.executable, "-m", "benchmarks.bench_dead_site"]
    sys.exit(subprocess.run([*command, "--wait", str(args.wait)], env=env).returncode)


if __name__ == "__main__":
    main()
