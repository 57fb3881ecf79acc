"""One worker's kept kernel: started, warmed, reset between notebooks, ended.

The kernel half of :mod:`reportlib.render.run`, in the process that executes sections (a
pool worker, or the caller itself with ``jobs=1``); papermill's run of a notebook in the
kernel is :mod:`reportlib.render._papermill`. The pack's own process only hands sections to
its pool and imports neither (jupyter_client, papermill, nbclient: 0.3 s of CPU). This
module needs jupyter_client alone, so that a worker warming a kernel ahead launches it
0.17 s sooner and imports papermill while it boots (:func:`_warm_runner`).
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing.util
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import run_sync

from reportlib.processes import remove_stale, staging_name
from reportlib.render.run import KERNEL

#: A kept kernel logs errors only: its warnings reach the user's terminal (the kernel's stderr
#: is the command's), and the one a kernel gives when its worker was ended for it (a failed
#: or skipped pack, "Parent appears to have exited, shutting down.") came after the command's
#: own message. A kernel that cannot start still prints its traceback.
_QUIET_KERNEL = ("--IPKernelApp.log_level=ERROR",)

_RESET_CODE = """\
get_ipython().reset(new_session=True)
import sys as _sys
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
del _sys
"""
_local = threading.local()


def _ipc_dir() -> str | None:
    """A private (0700), short folder for a kernel's IPC sockets, named after this process
    (the worker that owns the kernel) as staging folders are; None where IPC is not
    available (Windows), in which case kernels fall back to TCP.

    A failed, interrupted or skipped pack ends its pool at once, killing workers that cannot
    remove their kernel's folder: the next kernel to start removes those
    (:func:`reportlib.processes.remove_stale`)."""
    if os.name == "nt":
        return None
    root = Path(tempfile.gettempdir())
    remove_stale(root)
    path = root / staging_name("rl-kernel", "ipc")
    path.mkdir(mode=0o700)
    return str(path)


class _FastReady:
    """Mixin for a kernel client: a deterministic ``wait_for_ready``.

    jupyter_client's version ends by draining IOPub until nothing arrives for 0.2 s, so it
    costs at least 0.2 s even for a kernel that has been idle for minutes (twice per
    section: once for the reset, once for papermill). Here the client waits for the IOPub
    ``idle`` status of its own ``kernel_info`` request instead: that proves the IOPub
    subscription is live and, IOPub being ordered, that nothing older is still queued. A
    request whose status was published before the subscription took hold is simply sent
    again, as jupyter_client does.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            reply = await self._reply_to(msg_id, 1.0)
            if reply is not None and await self._idle_for(msg_id, 0.25):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_to(self, msg_id: str, timeout: float) -> dict | None:
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await self.shell_channel.get_msg(timeout=left)
            except Empty:
                return None
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None

    async def _idle_for(self, msg_id: str, timeout: float) -> bool:
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=timeout)
            except Empty:
                return False
            if (
                msg.get("msg_type") == "status"
                and msg.get("content", {}).get("execution_state") == "idle"
                and msg.get("parent_header", {}).get("msg_id") == msg_id
            ):
                return True


class _FastClient(_FastReady, AsyncKernelClient):
    """An async kernel client with the deterministic :meth:`_FastReady.wait_for_ready`,
    whose channels start once: the kernel's one client is asked to start them again by
    every run that uses it (papermill's, the reset's, the reads')."""

    stopped = False

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    def stop_channels(self) -> None:
        self.stopped = True  # its heartbeat thread cannot start again: the kernel gets a new client
        super().stop_channels()


class TrackingKernelManager(AsyncKernelManager):
    """A kernel with one client for its whole life, shared by the reset, papermill and the
    reads of every notebook it runs, and closed with the kernel (:meth:`close_client`).

    A client per use cost three sets of sockets, a heartbeat thread and a handshake per
    section: about 20 ms of a section's 0.1-0.5 s (0.15 s of a Meridian pack). Every reader of the shared client matches
    replies and output to its own request (jupyter_client and nbclient skip the others),
    so what an earlier run left unread is never taken for this run's.

    Kernels talk over IPC sockets in a private folder rather than TCP on localhost:
    nothing is reachable from other users or hosts, and ipykernel does not print its
    "running over TCP without encryption" warning to the user's terminal.
    """

    #: Whether the kernel has run :data:`_ONCE_PER_KERNEL` (frozen what it imported).
    frozen = False

    def __init__(self, **kwargs: Any) -> None:
        ipc = _ipc_dir()
        if ipc is not None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(ipc, "k"))
        super().__init__(**kwargs)
        self.client_factory = _FastClient
        self._ipc_dir = ipc

    def client(self, **kwargs: Any) -> Any:
        kept = self.__dict__.get("_client")
        if kept is None or kept.stopped:
            kept = self.__dict__["_client"] = super().client(**kwargs)
        return kept

    def close_client(self) -> None:
        """Close the kernel's client (before the kernel shuts down, or is dropped)."""
        client = self.__dict__.pop("_client", None)
        if client is not None:
            client.stop_channels()

    def remove_ipc_dir(self) -> None:
        if self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts (SIGINT) every kernel it shuts down, and ipykernel
        # then logs "ERROR | KeyboardInterrupt caught in kernel" to the terminal; a kernel
        # that is being shut down (killed right after) needs no interrupt.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:  # a kernel shut down for good (papermill's own, or ours)
            self.remove_ipc_dir()


def _shutdown(km: Any) -> None:
    try:
        km.close_client()
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - already gone
        pass
    try:
        km.remove_ipc_dir()
    except Exception:  # noqa: BLE001 - best effort
        pass


def kept_kernel(start_timeout: float, setup: str = "") -> Any:
    """This thread's reusable ``python3`` kernel, reset to an empty namespace.

    Starting a kernel and importing pandas/matplotlib costs seconds; a section notebook
    itself often takes less. A kernel is therefore kept per worker thread and reset
    between notebooks (``InteractiveShell.reset(new_session=True)``: no variables, no
    history, execution count back to 1; modules stay imported), then ``setup`` (code) is
    run in it. It is discarded after any failure.
    """
    km = getattr(_local, "km", None)
    if km is not None and not run_sync(km.is_alive)():
        discard_kernel()
        km = None
    if km is None:
        km = TrackingKernelManager(kernel_name=KERNEL)
        run_sync(km.start_kernel)(extra_arguments=list(_QUIET_KERNEL))
        _warm_runner()  # while the kernel starts
        _local.km = km
        # Worker processes skip atexit; multiprocessing's finalizers run in both.
        _local.finalizer = multiprocessing.util.Finalize(km, _shutdown, args=(km,), exitpriority=10)
        if setup:
            run_sync(_execute)(km, setup, start_timeout)
    else:
        # a kernel never warmed up (one kept in this thread, jobs=1: a portfolio worker's)
        # freezes (and keeps what it frees) at its first reset, once its first notebook has
        # imported what it uses
        freeze = "" if km.frozen else _ONCE_PER_KERNEL
        run_sync(_execute)(km, _RESET_CODE + freeze + setup, start_timeout)
        km.frozen = True
    return km


async def _execute(km: Any, code: str, timeout: float, expression: str | None = None) -> Any:
    """Run ``code`` in the kernel; the value of ``expression`` after it (a Python literal,
    sent back as its repr), else None."""
    client = km.client()
    if not client.channels_running:  # a kernel just started: wait until it answers
        client.start_channels()
        await client.wait_for_ready(timeout=timeout)
    wanted = {"value": expression} if expression else {}
    reply = await client.execute_interactive(
        code, store_history=False, timeout=timeout, output_hook=lambda msg: None, user_expressions=wanted
    )
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"the kernel failed to run set-up code: {reply['content'].get('evalue')}")
    value = reply["content"].get("user_expressions", {}).get("value", {})
    return ast.literal_eval(value["data"]["text/plain"]) if value.get("status") == "ok" else None


#: Starts the record of what the next notebook reads (``reportlib.deck._reads``); a kernel
#: without reportlib records nothing (its sections are then never reused).
ARM_READS = """\
try:
    import reportlib.deck._reads as _reads
    _reads.arm({output_dir!r})
    del _reads
except Exception:
    pass
"""
#: The record of the notebook that just ran (JSON text or None).
_TAKE_READS = "__import__('reportlib.deck._reads', fromlist=['report']).report()"


def take_reads(km: Any, timeout: float) -> str | None:
    """The record of what the notebook that just ran read; None when it cannot be had."""
    try:
        reads = run_sync(_execute)(km, "", timeout, _TAKE_READS)
    except Exception:  # noqa: BLE001 -- no record only means the section is not reused
        return None
    return reads if isinstance(reads, str) else None


def release() -> None:
    """:func:`reportlib.render.run.release_kernel`."""
    discard_kernel()


def discard_kernel() -> None:
    finalizer = getattr(_local, "finalizer", None)
    _local.km = _local.finalizer = None
    if finalizer is not None:
        finalizer()  # shuts the kernel down now


#: Ends the warm-up (or, in a kernel that had none, its first reset): what the kernel holds
#: now (modules, fonts, templates) lives as long as the kernel, so it is moved out of the
#: garbage collector's reach. The reset between notebooks ends in a full collection
#: (IPython's), which would otherwise walk all of it again: 0.065 s of CPU per section on a
#: quiet machine (0.15-0.2 s on a busy one), 0.001 s after the freeze.
_FREEZE_CODE = "import gc as _gc\n_gc.collect()\n_gc.freeze()\ndel _gc\n"
#: With the freeze: the memory the kernel frees stays in it for the next notebooks' arrays,
#: as in the ``reportlib`` command (:func:`reportlib._memory.keep_freed_memory`), instead of
#: going back to the system to be faulted in and zeroed again. A kernel kept for a portfolio
#: worker or a server faulted in 35 MiB (9,000 pages) per Meridian pack, about 50 pages with
#: it (25-120 ms of CPU at the build machine's 0.7-3.4 s per GiB of fresh memory); its resident
#: memory stays at its high-water mark (16 MiB more). A kernel without reportlib goes on as before.
_KEEP_FREED_CODE = (
    "try:\n    from reportlib._memory import keep_freed_memory as _keep\n    _keep()\n    del _keep\n"
    "except Exception:\n    pass\n"
)
#: Run once in each kept kernel: at the end of its warm-up, or at its first reset.
_ONCE_PER_KERNEL = _FREEZE_CODE + _KEEP_FREED_CODE


def warm(imports: Sequence[str], start_timeout: float, calls: Sequence[str]) -> float:
    """:func:`reportlib.render.run.warm_kernel`, in this process."""
    t0 = time.perf_counter()
    code = "".join(f"try:\n    import {m}\nexcept Exception:\n    pass\n" for m in imports)
    code += "".join(f"try:\n    {c}()\nexcept Exception:\n    pass\n" for c in calls) + _ONCE_PER_KERNEL
    try:
        km = kept_kernel(start_timeout)
        run_sync(_execute)(km, code, start_timeout)
        km.frozen = True
    except Exception:  # noqa: BLE001 - warming is an optimisation; the real run retries
        discard_kernel()
    return time.perf_counter() - t0


def _warm_runner() -> None:
    """Load the papermill side of the runner (:mod:`reportlib.render._papermill`: papermill,
    nbclient and nbformat, 0.2 s to import) while the kernel just launched boots on the
    other core, and compile nbformat's schema validator: papermill validates each notebook
    it reads and writes, and the first validation compiles it (0.03-0.06 s, else on the
    first section's time)."""
    with contextlib.suppress(Exception):  # an optimisation only
        from reportlib.render import _papermill

        _papermill.compile_validator()
