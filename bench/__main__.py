"""`python -m bench` (and `make bench`): every benchmark, then one table.

python -m bench            the pages under gunicorn, the routing micro-benchmark, the assistant
python -m bench hub        only the pages (and scenarios) under gunicorn
python -m bench routing    only the routing micro-benchmark
python -m bench assistant  only the assistant: retrieval quality and time to answer
python -m bench soak       the 10-minute soak at 80 % of capacity (bench/soak.py; not in "all")
python -m bench peer       our submission POSTs beside django-helpdesk's (bench/peer.py)
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import signal
import sys
from types import FrameType, ModuleType

from bench import harness


def _plan_modules() -> list[ModuleType]:
    """Each module's `extend(plan)` adds its seeders, pages and scenarios. Add yours here."""
    from bench import chat, flow, history, pages, tickets

    # flow comes after history: it signs in the members history made, and names their tickets.
    return [pages, tickets, history, chat, flow]


def _routing_benchmark() -> None:
    # bench/bench_routing.py is pure-Python timing of the routing rules, when it is there.
    if importlib.util.find_spec("bench.bench_routing") is None:
        harness.report("no bench/bench_routing.py: routing micro-benchmark skipped")
        return
    print("\nRouting micro-benchmark", flush=True)
    importlib.import_module("bench.bench_routing").main()


def _assistant_benchmark() -> None:
    # bench/assistant.py: retrieval quality on the labelled questions, and answer latency
    # with 1,000 articles (it recreates the bench database, so it runs after the pages).
    print("\nAssistant benchmark", flush=True)
    importlib.import_module("bench.assistant").main()


def _peer_benchmark() -> int:
    """Our submissions (worker running) and django-helpdesk's, same machine, same load."""
    from bench import flow, history, pages, peer

    config = harness.BenchConfig.from_environment()
    harness.django_configure(config)
    plan = harness.Plan(keep=lambda page: page.method == "POST")
    for module in (pages, history, flow):
        module.extend(plan)
    # Only the submissions' own report: the history's query plans are for `hub`.
    plan.scenarios = plan.scenarios[:1]
    ours = harness.run(plan, config)
    theirs = peer.peer_submit(config, history.TICKETS)
    print(f"\nSubmissions ({config.describe()})", flush=True)
    print(harness.table([*ours, theirs]), flush=True)
    missed = harness.below_floor(ours) + peer.compare(ours, theirs) + plan.failures
    for line in missed:
        print(f"FAILED: {line}", flush=True)
    return len(missed) + sum(m.failures for m in [*ours, theirs])


def _terminated(signum: int, frame: FrameType | None) -> None:
    harness.report("terminated; stopping")
    # SystemExit unwinds through the harness's `finally`, which stops the server.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    known = {"hub", "routing", "assistant"}
    parser.add_argument(
        "parts",
        nargs="*",
        metavar="{hub,routing,assistant,soak,peer}",
        help="default: hub, routing and assistant",
    )
    parts = set(parser.parse_args(argv).parts) or known
    extra = {"soak", "peer"}
    if parts - known - extra:
        parser.error(f"unknown part(s): {', '.join(sorted(parts - known - extra))}")
    signal.signal(signal.SIGTERM, _terminated)
    failed = floors_missed = 0
    try:
        if "hub" in parts:
            config = harness.BenchConfig.from_environment()
            harness.django_configure(config)
            plan = harness.Plan()
            for module in _plan_modules():
                module.extend(plan)
            measurements = harness.run(plan, config)
            print(f"\nPages ({config.describe()})", flush=True)
            print(harness.table(measurements), flush=True)
            failed = sum(m.failures for m in measurements)
            missed = harness.below_floor(measurements) + plan.failures
            for line in missed:
                print(f"FAILED: {line}", flush=True)
            floors_missed += len(missed)
        if "routing" in parts:
            _routing_benchmark()
        if "assistant" in parts:
            _assistant_benchmark()
        if "peer" in parts:
            floors_missed += _peer_benchmark()
        if "soak" in parts:
            floors_missed += importlib.import_module("bench.soak").main()
    except harness.BenchError as exc:
        harness.report(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        harness.report("interrupted; server stopped")
        return 130
    if failed:
        harness.report(f"{failed} requests failed or answered an unexpected status")
    if floors_missed:
        harness.report(f"{floors_missed} check(s) or floor(s) missed")
    return 1 if failed or floors_missed else 0


if __name__ == "__main__":
    sys.exit(main())
