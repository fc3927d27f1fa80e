"""Runs load-generator processes beside the servers: all connect, report ready, start together at
one wall-clock instant chosen by the harness, and hand back their results (histograms, counts).

Processes are spawned (never forked from the Django-configured harness) and each phase has a hard
time limit: a worker that overruns is terminated and reported as such.
"""

import multiprocessing as mp
import queue
import time
import traceback

from bench import loadgen


def _worker_main(kind: str, spec: dict, start, ready, results, control) -> None:
    try:
        result = loadgen.run(kind, spec, start, ready, control)
    except Exception:  # noqa: BLE001  (the harness reports it; a worker must never hang silently)
        result = {"crashed": traceback.format_exc()}
        ready.put({"worker": spec.get("worker"), "crashed": True})
    result["kind"] = kind
    results.put(result)


class Phase:
    """One scenario's set of generator processes."""

    def __init__(self, time_limit: float):
        self.ctx = mp.get_context("spawn")
        self.start_at = self.ctx.Value("d", 0.0)
        self.ready = self.ctx.Queue()
        self.results = self.ctx.Queue()
        self.processes: list = []
        self.controls: list = []
        self.deadline = time.monotonic() + time_limit

    def add(self, kind: str, spec: dict):
        control = self.ctx.Queue()
        process = self.ctx.Process(
            target=_worker_main,
            args=(kind, spec, self.start_at, self.ready, self.results, control),
            daemon=True,
        )
        self.processes.append(process)
        self.controls.append(control)
        return control

    def launch(self) -> list[dict]:
        """Starts every worker and waits until each has connected (or failed)."""
        for process in self.processes:
            process.start()
        return [self._get(self.ready) for _ in self.processes]

    def go(self, delay: float = 0.5) -> float:
        """Sets the common start instant (wall clock) a little ahead so every schedule begins together."""
        t0 = time.time() + delay
        self.start_at.value = t0
        return t0

    def stop(self, message: dict | None = None) -> None:
        for control in self.controls:
            control.put(message or {})

    def collect(self, already: int = 0) -> list[dict]:
        """The results not yet read (`already` were taken from `results` by the caller), then joins."""
        out = []
        for _ in range(len(self.processes) - already):
            try:
                out.append(self._get(self.results))
            except TimeoutError:
                out.append({"crashed": "time limit reached before the worker reported", "kind": "unknown"})
                break
        for process in self.processes:
            process.join(timeout=max(0.1, self.deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(5)
        return out

    def _get(self, q) -> dict:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("phase time limit reached")
        try:
            return q.get(timeout=remaining)
        except queue.Empty as exc:
            raise TimeoutError("phase time limit reached") from exc

    def abort(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
