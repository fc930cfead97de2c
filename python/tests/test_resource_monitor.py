"""The resource monitor samples on its own thread, hands batches to its owner while the work goes on,
keeps a batch whose write failed for the next flush, and reads the GPU through NVML when there is one."""

from __future__ import annotations

import sys
import time
import types

import pytest

from fcast.train import monitor as monitor_module
from fcast.train.monitor import GpuProbe, ResourceMonitor

pytestmark = pytest.mark.fast


def _busy(seconds: float) -> float:
    """CPU work that, like torch training, spends its time in native code that releases the GIL."""
    import numpy as np

    matrix = np.random.default_rng(0).random((200, 200))
    end, total = time.perf_counter() + seconds, 0.0
    while time.perf_counter() < end:
        total += float((matrix @ matrix).sum())
    return total


def test_samples_are_flushed_while_the_work_runs():
    flushed: list[tuple[float, int]] = []
    started = time.perf_counter()
    with ResourceMonitor(
        on_flush=lambda batch: flushed.append((time.perf_counter() - started, len(batch))),
        interval_s=0.05,
        flush_interval_s=0.2,
    ) as monitor:
        _busy(1.0)
        flushes_during_work = len(flushed)
    summary = monitor.summary()
    assert flushes_during_work >= 3  # live, not only at the end
    assert sum(size for _, size in flushed) == len(monitor.samples) == summary.samples
    assert [sample.sample_index for sample in monitor.samples] == list(range(summary.samples))
    assert summary.cpu_seconds > 0.5 and summary.peak_process_cpu_percent >= summary.mean_process_cpu_percent > 0
    assert summary.peak_rss_bytes >= summary.mean_rss_bytes > 0
    assert summary.gpu_name == "" and summary.mean_gpu_utilization_percent is None  # no GPU here


def test_a_failed_flush_keeps_the_samples_for_the_next_one():
    batches: list[int] = []
    calls = {"n": 0}

    def flaky(batch):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("warehouse busy")
        batches.append(len(batch))

    with ResourceMonitor(on_flush=flaky, interval_s=0.05, flush_interval_s=0.15) as monitor:
        _busy(0.6)
    assert monitor.flush_errors == ["warehouse busy"]
    assert sum(batches) == len(monitor.samples)


class _FakeNvml(types.ModuleType):
    """Stands in for the NVIDIA driver, which this machine does not have."""

    def __init__(self) -> None:
        super().__init__("pynvml")

    def nvmlInit(self):
        pass

    def nvmlDeviceGetHandleByIndex(self, index):
        return f"gpu{index}"

    def nvmlDeviceGetName(self, handle):
        return b"NVIDIA H200"

    def nvmlDeviceGetUtilizationRates(self, handle):
        return types.SimpleNamespace(gpu=87)

    def nvmlDeviceGetMemoryInfo(self, handle):
        return types.SimpleNamespace(used=3 * 2**30, total=141 * 2**30)


def test_gpu_readings_come_from_nvml_when_a_gpu_is_present(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _FakeNvml())
    probe = GpuProbe()
    assert probe.available and probe.name == "NVIDIA H200"
    assert probe.read() == (87.0, 3 * 2**30, 141 * 2**30)
    monkeypatch.setattr(monitor_module, "GpuProbe", lambda: probe)
    with ResourceMonitor(interval_s=0.05) as monitor:
        _busy(0.2)
    summary = monitor.summary()
    assert summary.gpu_name == "NVIDIA H200" and summary.mean_gpu_utilization_percent == 87.0
    assert summary.peak_gpu_memory_used_bytes == 3 * 2**30


def test_without_nvml_the_gpu_fields_stay_empty(monkeypatch):
    broken = types.ModuleType("pynvml")

    def no_driver():
        raise OSError("NVML Shared Library Not Found")

    broken.nvmlInit = no_driver
    monkeypatch.setitem(sys.modules, "pynvml", broken)
    probe = GpuProbe()
    assert not probe.available and probe.read() == (None, None, None)
