"""The load benchmark (`python -m benchmarks.load`; what it measures and prints: `cli.py`): simulated
customers over the gateway's chat socket, beside a vanilla `rasa init` bot.

    cli          the command line, and the run from targets to report
    targets      one target measured: servers started or given, warm-up, phases, memory, loss check
    servers      where a target's servers listen, and the profiles the benchmark starts
    customers    a customer's complaint over the chat socket; the vanilla bot's over REST
    phases       what a phase records, and the 1-user and N-user phases run
    resources    the servers' CPU time and peak memory, from /proc
    losses       the loss check against the tracker store and the case store
    comparison   ours against the vanilla bot, with issue 13's bounds
    report       the printed report
"""

from benchmarks.load.cli import main
from benchmarks.load.customers import WEBSOCKET
from benchmarks.load.phases import TOTAL
from benchmarks.load.report import HEADER, LABEL_WIDTH
from benchmarks.load.targets import EXTERNAL

__all__ = ["EXTERNAL", "HEADER", "LABEL_WIDTH", "TOTAL", "WEBSOCKET", "main"]
