"""`python -m bench` (and `make bench`): every benchmark, then one table.

python -m bench            the pages under gunicorn, the routing micro-benchmark, the assistant
python -m bench hub        only the pages (and scenarios) under gunicorn
python -m bench routing    only the routing micro-benchmark
python -m bench assistant  only the assistant: retrieval quality and time to answer
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
    from bench import chat, history, pages, tickets

    return [pages, tickets, history, chat]


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


def _terminated(signum: int, frame: FrameType | None) -> None:
    harness.report("terminated; stopping")
    # SystemExit unwinds through the harness's `finally`, which stops the server.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    known = {"hub", "routing", "assistant"}
    parser.add_argument(
        "parts", nargs="*", metavar="{hub,routing,assistant}", help="default: all three"
    )
    parts = set(parser.parse_args(argv).parts) or known
    if parts - known:
        parser.error(f"unknown part(s): {', '.join(sorted(parts - known))}")
    signal.signal(signal.SIGTERM, _terminated)
    failed = 0
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
        if "routing" in parts:
            _routing_benchmark()
        if "assistant" in parts:
            _assistant_benchmark()
    except harness.BenchError as exc:
        harness.report(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        harness.report("interrupted; server stopped")
        return 130
    if failed:
        harness.report(f"{failed} requests failed or answered an unexpected status")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
