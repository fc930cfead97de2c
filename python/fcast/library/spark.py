"""The Spark session and frames of neuralforecast's distributed fit (`distributed: {engine: spark, ...}`).

neuralforecast 3.3.0 trains on a Spark DataFrame with `NeuralForecast.fit(df=spark_df,
distributed_config=DistributedConfig(partitions_path, num_nodes, devices))`: it writes the series as
parquet partitions (one per num_nodes x devices) and trains with PySpark's TorchDistributor (Lightning's
DDP strategy); `predict(engine=spark)` then forecasts from those partitions inside Spark. This module
starts the session (master `FCAST_SPARK_MASTER`, workers running this interpreter), turns the run's
pandas frames into Spark frames and builds the DistributedConfig. pyspark is imported only here and
only inside the functions.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcast import settings
from fcast.errors import ConfigurationError, FcastError

ENGINES = ("spark",)  # the engines of neuralforecast's DistributedConfig ("Currently only spark is supported")
BLOCK_KEYS = ("engine", "num_nodes", "devices")
DEFAULT_BLOCK = {"num_nodes": 1, "devices": 1}
JAVA_ADVICE = (
    "install a Java runtime (Java 17: `apt-get install -y openjdk-17-jre-headless`) or set JAVA_HOME, "
    "or drop `distributed` from the plan row to train on one machine"
)


class SparkUnavailable(FcastError, RuntimeError):
    """A distributed row needs Spark, and no Spark session could be started here."""


def distributed_block(distributed: dict) -> dict:
    """A plan row's `distributed` block with neuralforecast's defaults filled in (one node, one device)."""
    return {**DEFAULT_BLOCK, **distributed}


def java_available() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def _use_this_interpreter() -> None:
    """Spark's Python workers (and TorchDistributor's training processes) run the project's interpreter."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable


def spark_session(master: str | None = None) -> Any:
    """The process's Spark session (started once, then reused): master FCAST_SPARK_MASTER (`local[2]`)."""
    master = master or settings.value("FCAST_SPARK_MASTER")
    if not java_available():
        raise SparkUnavailable(f"a distributed (Spark) row needs Java, and none was found here: {JAVA_ADVICE}")
    _use_this_interpreter()
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkUnavailable(
            f"a distributed (Spark) row needs pyspark ({error}): install the pinned environment "
            "(requirements.lock pins pyspark), or drop `distributed` from the plan row"
        ) from error
    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext.master != master:
            raise ConfigurationError(
                f"a Spark session with master {active.sparkContext.master!r} is already running in this process, "
                f"and FCAST_SPARK_MASTER asks for {master!r}: run the rows of one master per process"
            )
        return active
    builder = (
        SparkSession.builder.master(master)
        .appName("fcast")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
    )
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    try:
        session = builder.getOrCreate()
    except Exception as error:  # pyspark raises its own error types when the JVM cannot start
        raise SparkUnavailable(
            f"Spark could not start with master {master!r}: {type(error).__name__}: {str(error)[:500]} -> "
            f"check FCAST_SPARK_MASTER; {JAVA_ADVICE}"
        ) from error
    session.sparkContext.setLogLevel("ERROR")
    return session


def partitions_path(scratch: Path) -> str:
    """Where neuralforecast writes the parquet partitions: FCAST_SPARK_PARTITIONS, else the run's scratch folder.

    With a cluster master every node must read them: point FCAST_SPARK_PARTITIONS at storage they all see."""
    configured = settings.value("FCAST_SPARK_PARTITIONS")
    base = Path(configured) if configured else scratch
    return str(base / f"nf-partitions-{uuid.uuid4().hex}")


def distributed_config(distributed: dict, scratch: Path) -> Any:
    """neuralforecast's DistributedConfig of a plan row's `distributed` block."""
    from neuralforecast import DistributedConfig

    block = distributed_block(distributed)
    return DistributedConfig(
        partitions_path=partitions_path(scratch), num_nodes=int(block["num_nodes"]), devices=int(block["devices"])
    )


@dataclass(frozen=True)
class SparkFrames:
    """A run's frames as Spark DataFrames (static_df and futr_df None when the row has no such features)."""

    df: Any
    static_df: Any | None
    futr_df: Any | None


def spark_frames(session: Any, df: Any, static_df: Any | None, futr_df: Any | None) -> SparkFrames:
    return SparkFrames(to_spark(session, df), to_spark(session, static_df), to_spark(session, futr_df))


def to_spark(session: Any, frame: Any) -> Any:
    """A pandas frame as a Spark DataFrame (None stays None)."""
    if frame is None:
        return None
    return session.createDataFrame(frame.reset_index(drop=True))


def to_pandas(frame: Any, id_col: str = "unique_id", time_col: str = "ds") -> Any:
    """A Spark result as pandas, in neuralforecast's local order (by series, then time)."""
    result = frame.toPandas() if hasattr(frame, "toPandas") else frame
    return result.sort_values([id_col, time_col]).reset_index(drop=True)
