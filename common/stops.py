"""The stops a training run handles itself, and how its messages name each: harness/training.py
ends a run so for each of them, and demos/_scripts.py puts back its own handlers after running a
script. The run then exits with 128 + the signal's number, as a shell reports it."""
import signal

NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP (its terminal was closed)",
         signal.SIGPIPE: "a closed output (no one reads what it prints)"}
HANDLED = [signal.SIGTERM, signal.SIGHUP]  # by a handler of the run's; Ctrl-C is Python's KeyboardInterrupt
