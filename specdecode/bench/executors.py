"""Executors: where items run. Both yield finished records in completion order; the
driver alone writes the JSONL, so there is exactly one writer per run file."""
from __future__ import annotations

from typing import Iterator

from ..errors import SpecDecodeError
from .worker import Item, Worker


def run_local(items: list[Item], make_worker) -> Iterator[dict]:
    worker: Worker = make_worker()
    for item in items:
        yield worker.run(item)


def run_ray(items: list[Item], make_worker, address: str | None, workers: int | None,
            cpus_per_worker: int) -> Iterator[dict]:
    """Spread items over Ray actors, each with its own model copies. One item in flight
    per actor; results stream back as they finish."""
    try:
        import ray
    except ImportError:
        raise SpecDecodeError("the Ray executor needs ray; run `make setup` (or pip install 'ray>=2.40,<3')") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, **({} if address else {"num_cpus": workers or None}))
    n = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // cpus_per_worker)
    actor_cls = ray.remote(num_cpus=cpus_per_worker)(_RayWorker)
    actors = [actor_cls.remote(make_worker) for _ in range(n)]
    queue = list(reversed(items))
    in_flight = {}
    for actor in actors:
        if queue:
            in_flight[actor.run.remote(queue.pop())] = actor
    while in_flight:
        done, _ = ray.wait(list(in_flight), num_returns=1)
        actor = in_flight.pop(done[0])
        if queue:
            in_flight[actor.run.remote(queue.pop())] = actor
        yield ray.get(done[0])


class _RayWorker:
    def __init__(self, make_worker):
        self.worker = make_worker()

    def run(self, item: Item) -> dict:
        return self.worker.run(item)
