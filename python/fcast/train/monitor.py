"""A background resource monitor: samples CPU, memory, disk and network IO (psutil) and the GPU (NVML).

The monitor only samples into memory. Its owner (the trainer) hands `flush` a callback that writes
the buffered samples in one short transaction every few seconds, from this process: the DuckDB file
never sees a second writer.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_INTERVAL_S = 1.0
DEFAULT_FLUSH_INTERVAL_S = 5.0
CHILDREN_REFRESH_SAMPLES = 30


@dataclass
class ResourceSample:
    sample_index: int
    sampled_at: dt.datetime
    elapsed_seconds: float
    process_cpu_percent: float
    system_cpu_percent: float
    process_rss_bytes: int
    system_memory_used_bytes: int
    system_memory_percent: float
    disk_read_bytes: int | None
    disk_write_bytes: int | None
    net_sent_bytes: int | None
    net_recv_bytes: int | None
    gpu_utilization_percent: float | None
    gpu_memory_used_bytes: int | None
    gpu_memory_total_bytes: int | None

    def as_row(self, run_id: str) -> dict:
        """The raw.run_resources row, by column name."""
        return {"run_id": run_id, **self.__dict__}


@dataclass
class ResourceSummary:
    samples: int
    monitor_interval_seconds: float
    duration_seconds: float
    cpu_seconds: float
    mean_process_cpu_percent: float
    peak_process_cpu_percent: float
    mean_rss_bytes: int
    peak_rss_bytes: int
    disk_read_bytes: int | None
    disk_write_bytes: int | None
    net_sent_bytes: int | None
    net_recv_bytes: int | None
    gpu_name: str
    mean_gpu_utilization_percent: float | None
    peak_gpu_memory_used_bytes: int | None

    def as_row(self, run_id: str) -> dict:
        """The raw.run_resource_summaries row, by column name."""
        return {"run_id": run_id, **self.__dict__}

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class GpuProbe:
    """NVML readings of the GPU this process trains on; inert when there is no NVIDIA GPU or driver."""

    def __init__(self) -> None:
        self.handle = None
        self.name = ""
        try:
            import pynvml

            pynvml.nvmlInit()
            visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip() or "0"
            index = int(visible) if visible.isdigit() else 0
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(self.handle)
            self.name = name.decode() if isinstance(name, bytes) else str(name)
            self._nvml = pynvml
        except Exception as error:  # no driver, no GPU, or NVML missing: CPU-only machine
            log.debug("NVML unavailable: %s", error)
            self.handle = None

    @property
    def available(self) -> bool:
        return self.handle is not None

    def read(self) -> tuple[float | None, int | None, int | None]:
        if self.handle is None:
            return None, None, None
        try:
            utilization = self._nvml.nvmlDeviceGetUtilizationRates(self.handle)
            memory = self._nvml.nvmlDeviceGetMemoryInfo(self.handle)
            return float(utilization.gpu), int(memory.used), int(memory.total)
        except Exception as error:
            log.debug("NVML read failed: %s", error)
            return None, None, None


def _io_counters():
    try:
        disk = psutil.disk_io_counters()
    except (OSError, RuntimeError):
        disk = None
    try:
        net = psutil.net_io_counters()
    except (OSError, RuntimeError):
        net = None
    return disk, net


def _delta(now, start, attribute: str) -> int | None:
    if now is None or start is None:
        return None
    return max(0, int(getattr(now, attribute) - getattr(start, attribute)))


@dataclass
class ResourceMonitor:
    """Samples every `interval_s` on a daemon thread; calls `on_flush(samples)` every `flush_interval_s`.

    Use as a context manager around the work it measures. Disk and network figures are machine-wide
    byte counts since the monitor started; CPU seconds are this process's (and its children's).
    """

    on_flush: Callable[[list[ResourceSample]], None] | None = None
    interval_s: float = DEFAULT_SAMPLE_INTERVAL_S
    flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S
    samples: list[ResourceSample] = field(default_factory=list)
    flush_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._process = psutil.Process()
        self._gpu = GpuProbe()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: list[ResourceSample] = []
        self._lock = threading.Lock()
        self._children: list[psutil.Process] = []

    def __enter__(self) -> ResourceMonitor:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        self._started = time.perf_counter()
        self._cpu_start = self._cpu_seconds()
        self._disk_start, self._net_start = _io_counters()
        self._process.cpu_percent(None)
        psutil.cpu_percent(None)
        self._thread = threading.Thread(target=self._loop, name="fcast-resource-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self._take_sample()
        self._cpu_end = self._cpu_seconds()
        self.flush()

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return times.user + times.system + getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0)

    def _loop(self) -> None:
        last_flush = time.perf_counter()
        while not self._stop.wait(self.interval_s):
            self._take_sample()
            if time.perf_counter() - last_flush >= self.flush_interval_s:
                self.flush()
                last_flush = time.perf_counter()

    def _children_rss(self) -> int:
        """RSS of child processes (data-loader workers); the process table is re-read only every few samples,
        since each scan of /proc costs the training thread the GIL many times over."""
        if len(self.samples) % CHILDREN_REFRESH_SAMPLES == 0:
            try:
                self._children = self._process.children(recursive=True)
            except psutil.Error:
                self._children = []
        total = 0
        for child in self._children:
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _take_sample(self) -> None:
        disk, net = _io_counters()
        memory = psutil.virtual_memory()
        gpu_utilization, gpu_used, gpu_total = self._gpu.read()
        rss = self._process.memory_info().rss + self._children_rss()
        sample = ResourceSample(
            sample_index=len(self.samples),
            sampled_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            elapsed_seconds=time.perf_counter() - self._started,
            process_cpu_percent=self._process.cpu_percent(None),
            system_cpu_percent=psutil.cpu_percent(None),
            process_rss_bytes=int(rss),
            system_memory_used_bytes=int(memory.used),
            system_memory_percent=float(memory.percent),
            disk_read_bytes=_delta(disk, self._disk_start, "read_bytes"),
            disk_write_bytes=_delta(disk, self._disk_start, "write_bytes"),
            net_sent_bytes=_delta(net, self._net_start, "bytes_sent"),
            net_recv_bytes=_delta(net, self._net_start, "bytes_recv"),
            gpu_utilization_percent=gpu_utilization,
            gpu_memory_used_bytes=gpu_used,
            gpu_memory_total_bytes=gpu_total,
        )
        with self._lock:
            self.samples.append(sample)
            self._pending.append(sample)

    def flush(self) -> None:
        """Hand the samples taken since the last flush to `on_flush`; a failed write keeps them for the next."""
        if self.on_flush is None:
            return
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            self.on_flush(batch)
        except Exception as error:  # the database was busy: retry with the next flush
            log.warning("resource samples not flushed yet: %s", error)
            self.flush_errors.append(str(error))
            with self._lock:
                self._pending = batch + self._pending

    def summary(self) -> ResourceSummary:
        samples = self.samples
        last = samples[-1] if samples else None
        cpu = [sample.process_cpu_percent for sample in samples] or [0.0]
        rss = [sample.process_rss_bytes for sample in samples] or [0]
        gpu_utilization = [s.gpu_utilization_percent for s in samples if s.gpu_utilization_percent is not None]
        gpu_memory = [s.gpu_memory_used_bytes for s in samples if s.gpu_memory_used_bytes is not None]
        cpu_end = getattr(self, "_cpu_end", None) or self._cpu_seconds()
        return ResourceSummary(
            samples=len(samples),
            monitor_interval_seconds=self.interval_s,
            duration_seconds=last.elapsed_seconds if last else 0.0,
            cpu_seconds=max(0.0, cpu_end - self._cpu_start),
            mean_process_cpu_percent=sum(cpu) / len(cpu),
            peak_process_cpu_percent=max(cpu),
            mean_rss_bytes=int(sum(rss) / len(rss)),
            peak_rss_bytes=int(max(rss)),
            disk_read_bytes=last.disk_read_bytes if last else None,
            disk_write_bytes=last.disk_write_bytes if last else None,
            net_sent_bytes=last.net_sent_bytes if last else None,
            net_recv_bytes=last.net_recv_bytes if last else None,
            gpu_name=self._gpu.name,
            mean_gpu_utilization_percent=sum(gpu_utilization) / len(gpu_utilization) if gpu_utilization else None,
            peak_gpu_memory_used_bytes=max(gpu_memory) if gpu_memory else None,
        )
