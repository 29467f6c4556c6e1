"""The process's background generation tasks, so shutdown can cancel and await them.

A reply is generated after `sendMessage` has answered, in a task of this process. Keeping a
reference also stops the event loop from garbage-collecting a running task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("aiplatform.generation")


class GenerationTasks:
    """Created by the app lifespan (`app.state.generations`), closed on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def start(self, coroutine: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        if self._closed:
            coroutine.close()
            raise RuntimeError("the server is shutting down")
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("generation task %s crashed", task.get_name(),
                      exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def join(self) -> None:
        """Wait for the running tasks (tests use it to let a reply finish)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self, grace: float = 0) -> None:
        """Let the running tasks finish for up to `grace` seconds, then cancel the rest and
        wait until each has handled it (a cancelled reply is stored as failed, with a reason).
        Tasks started meanwhile (a request finishing during shutdown) are waited for too."""
        if grace > 0 and self._tasks:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self.join()
        self._closed = True
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
