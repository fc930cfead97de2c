"""The spec-registry marts on both targets: empty on an empty registry, exact rows on a small synthetic one.

The synthetic registry is a made-up library `toylib` scanned at 1.0.0 and 1.1.0 (plus an older cuda scan of
1.1.0 that must be ignored and a failed scan of 1.2.0): a removed and an added symbol, a removed and an added
parameter, a changed default, a changed type and capability flips between the two versions (also seen as each
version's flags in the capability history).
"""

from __future__ import annotations

import datetime as dt

from fcast import db
from fcast.raw_schema import (
    REGISTRY_ALLOWED_VALUES,
    REGISTRY_ENVIRONMENTS,
    REGISTRY_LOSSES,
    REGISTRY_MODEL_CAPABILITIES,
    REGISTRY_MODEL_LOSSES,
    REGISTRY_PARAMETERS,
    REGISTRY_SEARCH_SPACES,
    REGISTRY_SYMBOLS,
)

from .conftest import run_fcast

REGISTRY_MARTS = (
    "registry_libraries",
    "registry_symbols",
    "registry_parameters",
    "registry_allowed_values",
    "registry_model_capabilities",
    "registry_capability_overrides",
    "registry_losses",
    "registry_model_losses",
    "registry_search_spaces",
    "registry_version_changes",
    "registry_capability_history",
)

LIB = "toylib"
V100 = "toylib==1.0.0|py3.11.7|torch2.13.0|cpu"
V110 = "toylib==1.1.0|py3.11.7|torch2.13.0|cpu"
V110_CUDA = "toylib==1.1.0|py3.11.7|torch2.13.0|cuda:NVIDIA H100"  # scanned before V110: ignored
V120_FAILED = "toylib==1.2.0|py3.11.7|torch2.13.0|cpu"  # status failed: ignored
TCN_BUILD_ERROR = "ModuleNotFoundError: No module named 'tcn_kernels'"


def _environment(env_key: str, version: str, sort_key: str, status: str, scanned_at: dt.datetime) -> tuple:
    accelerator = env_key.rsplit("|", 1)[1]
    error = "ImportError: toylib 1.2.0 needs torch>=3" if status == "failed" else ""
    return (
        env_key,
        LIB,
        version,
        sort_key,
        "3.11.7",
        "2.13.0",
        accelerator,
        "/opt/venv/bin/python",
        "1",
        status,
        error,
        4.5,
        scanned_at,
    )


def _symbol(env_key: str, symbol: str, kind: str) -> tuple:
    parent = symbol.rpartition(".")[0]
    module = symbol if kind == "module" else parent.rpartition(".")[0] if kind == "method" else parent
    qualname = "" if kind == "module" else symbol.removeprefix(module + ".")
    return (env_key, LIB, symbol, module, qualname, kind, parent, True, f"The {symbol} {kind}.", "")


def _parameter(env_key: str, symbol: str, position: int, name: str, default: str, type_: str) -> tuple:
    return (
        env_key,
        LIB,
        symbol,
        name,
        position,
        "POSITIONAL_OR_KEYWORD",
        default == "",
        default != "",
        default,
        type_,
        type_,
        "annotation",
        f"The {name}.",
    )


def _capability(env_key: str, model: str, flags: str, auto: str = "", argument: str = "", value: str = "") -> tuple:
    """flags: six letters T/F for exogenous futr, hist, stat, cat, multivariate, recurrent."""
    futr, hist, stat, cat, multivariate, recurrent = (letter == "T" for letter in flags)
    build_error = TCN_BUILD_ERROR if model == "ToyTCN" else ""
    scope = "instance" if argument else "class"
    return (
        env_key,
        LIB,
        model,
        scope,
        argument,
        value,
        futr,
        hist,
        stat,
        cat,
        multivariate,
        recurrent,
        auto,
        build_error == "",
        build_error,
    )


def synthetic_registry() -> dict:
    environments = [
        _environment(V100, "1.0.0", "00001.00000.00000", "scanned", dt.datetime(2025, 1, 10, 9, 0)),
        _environment(V110, "1.1.0", "00001.00001.00000", "scanned", dt.datetime(2025, 2, 10, 9, 0)),
        _environment(V110_CUDA, "1.1.0", "00001.00001.00000", "scanned", dt.datetime(2025, 2, 1, 9, 0)),
        _environment(V120_FAILED, "1.2.0", "00001.00002.00000", "failed", dt.datetime(2025, 3, 1, 9, 0)),
    ]
    common_symbols = [
        ("toylib", "module"),
        ("toylib.models", "module"),
        ("toylib.models.ToyRNN", "class"),
        ("toylib.models.ToyRNN.fit", "method"),
        ("toylib.models.ToyMLP", "class"),
        ("toylib.losses", "module"),
        ("toylib.losses.MAE", "class"),
        ("toylib.losses.DistributionLoss", "class"),
    ]
    symbols = [_symbol(env, symbol, kind) for env in (V100, V110, V110_CUDA) for symbol, kind in common_symbols]
    symbols += [_symbol(V100, "toylib.legacy_fit", "function")]
    symbols += [_symbol(env, "toylib.models.ToyTCN", "class") for env in (V110, V110_CUDA)]

    rnn, mlp = "toylib.models.ToyRNN", "toylib.models.ToyMLP"
    parameters = []
    for env in (V100, V110, V110_CUDA):
        parameters += [
            _parameter(env, rnn, 0, "h", "", "int"),
            _parameter(env, rnn + ".fit", 1, "df", "", "DataFrame"),
            _parameter(env, mlp, 0, "h", "", "int"),
            _parameter(env, mlp, 1, "input_size", "-1", "int"),
            _parameter(env, mlp, 2, "loss", "MAE()", "class:MAE"),
        ]
    parameters += [
        _parameter(V100, rnn, 1, "input_size", "-1", "int"),
        _parameter(V100, rnn, 2, "scaler_type", "'robust'", "str"),
        _parameter(V100, rnn, 3, "dropout", "0.1", "float"),
        _parameter(V100, "toylib.legacy_fit", 0, "df", "", "DataFrame"),
        _parameter(V110, rnn, 1, "input_size", "48", "int"),
        _parameter(V110, rnn, 2, "scaler_type", "'robust'", "literal"),
        _parameter(V110, rnn, 3, "learning_rate", "0.001", "float"),
        _parameter(V110, "toylib.models.ToyTCN", 0, "h", "", "int"),
        _parameter(V110_CUDA, rnn, 1, "input_size", "96", "int"),
        _parameter(V110_CUDA, rnn, 2, "scaler_type", "'robust'", "str"),
    ]
    allowed_values = [
        (V100, LIB, rnn, "scaler_type", value, "docstring") for value in ("'robust'", "'standard'", "'minmax'")
    ]
    allowed_values += [
        (V110, LIB, rnn, "scaler_type", value, "literal_annotation") for value in ("'standard'", "'robust'")
    ]
    allowed_values += [(V110, LIB, rnn, "scaler_type", "'robust'", "library_check:toylib.common.TemporalNorm")]

    capabilities = [
        _capability(V100, "ToyRNN", "FTTFFT", "AutoToyRNN"),
        _capability(V100, "ToyRNN", "FTTFFF", "AutoToyRNN", "recurrent", "False"),
        _capability(V100, "ToyMLP", "TTTFFF"),
        _capability(V110, "ToyRNN", "TTTFFT", "AutoToyRNN"),
        _capability(V110, "ToyRNN", "TTTFFF", "AutoToyRNN", "recurrent", "False"),
        _capability(V110, "ToyRNN", "TTTFFT", "AutoToyRNN", "input_size", "-1"),
        _capability(V110, "ToyMLP", "TTTFFF", "AutoToyMLP"),
        _capability(V110, "ToyTCN", "TTTFFF"),
        _capability(V110_CUDA, "ToyRNN", "FTTFFT", "AutoToyRNN"),
    ]
    losses, model_losses, search_spaces = [], [], []
    for env in (V100, V110):
        losses += [
            (env, LIB, "MAE", "", "point", "point", "y_hat", False, True, "", True, ""),
            (
                env,
                LIB,
                "DistributionLoss",
                "distribution=Normal",
                "probabilistic_parametric",
                "distribution_parameters",
                "y_hat,y_hat-loc,y_hat-scale",
                True,
                True,
                "",
                True,
                "",
            ),
            (
                env,
                LIB,
                "MQLoss",
                "",
                "probabilistic_nonparametric",
                "quantiles",
                "y_hat-lo-80,y_hat,y_hat-hi-80",
                False,
                True,
                "",
                True,
                "",
            ),
        ]
        model_losses += [
            (env, LIB, "ToyRNN", "MAE", "", "loss", True, ""),
            (env, LIB, "ToyRNN", "DistributionLoss", "distribution=Normal", "loss", True, ""),
            (env, LIB, "ToyMLP", "MAE", "", "loss", True, ""),
            (
                env,
                LIB,
                "ToyMLP",
                "DistributionLoss",
                "distribution=Normal",
                "loss",
                False,
                "ValueError: ToyMLP does not support distribution losses",
            ),
            (env, LIB, "ToyMLP", "MQLoss", "", "loss", False, "ValueError: ToyMLP does not support MQLoss"),
            (env, LIB, "ToyMLP", "MQLoss", "", "valid_loss", True, ""),
        ]
        search_spaces += [
            (env, LIB, "AutoToyRNN", "ToyRNN", "ray", "input_size", "choice", '{"choices": [-1, 4, 16]}'),
            (env, LIB, "AutoToyRNN", "ToyRNN", "optuna", "input_size", "categorical", '{"choices": [-1, 4, 16]}'),
        ]
    model_losses += [(V110, LIB, "ToyTCN", "MQLoss", "", "loss", True, "")]
    search_spaces += [
        (V110, LIB, "AutoToyMLP", "ToyMLP", "ray", "learning_rate", "loguniform", '{"low": 0.0001, "high": 0.1}'),
    ]
    return {
        REGISTRY_ENVIRONMENTS: environments,
        REGISTRY_SYMBOLS: symbols,
        REGISTRY_PARAMETERS: parameters,
        REGISTRY_ALLOWED_VALUES: allowed_values,
        REGISTRY_MODEL_CAPABILITIES: capabilities,
        REGISTRY_LOSSES: losses,
        REGISTRY_MODEL_LOSSES: model_losses,
        REGISTRY_SEARCH_SPACES: search_spaces,
    }


def by_name(table, rows: list) -> list[dict]:
    """The synthetic rows by column name (tuples here are written in the table's declared column order)."""
    return [row if isinstance(row, dict) else dict(zip(table.column_names, row, strict=True)) for row in rows]


def test_registry_marts_are_empty_on_an_empty_registry(warehouse_env):
    run_fcast(
        "build", "--select", "+marts.registry", "--indirect-selection", "cautious", env=warehouse_env
    )  # the registry marts and what they read
    with db.connect(read_only=True) as warehouse:
        for mart in REGISTRY_MARTS:
            assert warehouse.table_exists("marts", mart), mart
            assert warehouse.fetchall(f"select count(*) from marts.{mart}") == [(0,)], mart


def test_registry_marts_on_a_synthetic_registry(warehouse_env):
    registry = synthetic_registry()
    with db.connect() as warehouse:
        for table, rows in registry.items():
            assert warehouse.insert_rows(table, by_name(table, rows)) == len(rows), table.name
    run_fcast(
        "build", "--select", "+marts.registry", "--indirect-selection", "cautious", env=warehouse_env
    )  # the registry marts and what they read

    with db.connect(read_only=True) as warehouse:
        changes = warehouse.fetchall(
            "select library, from_version, to_version, from_env_key, to_env_key, change_kind, symbol, parameter, "
            "attribute, old_value, new_value from marts.registry_version_changes"
        )
        capabilities = warehouse.fetchall(
            "select env_key, model_class, exogenous_futr, exogenous_hist, exogenous_stat, exogenous_cat, "
            "multivariate, recurrent, forecasting_mode, auto_class, auto_available, can_build, build_error, "
            "probabilistic_outputs_possible, instance_overrides from marts.registry_model_capabilities"
        )
        overrides = warehouse.fetchall(
            "select env_key, model_class, argument, argument_value, flag, class_value, instance_value "
            "from marts.registry_capability_overrides"
        )
        libraries = warehouse.fetchall(
            "select env_key, status, n_symbols, n_parameters, n_allowed_values, n_models, n_losses, n_auto_models "
            "from marts.registry_libraries"
        )
        history = warehouse.fetchall(
            "select library, library_version, model_class, env_key, version_rank, is_latest_scanned, exogenous_futr, "
            "exogenous_hist, exogenous_stat, exogenous_cat, multivariate, recurrent, can_build, auto_class, "
            "changed_from_previous from marts.registry_capability_history"
        )
        scaler_type = warehouse.fetchall(
            "select env_key, symbol_kind, n_allowed_values, allowed_values, allowed_value_sources "
            "from marts.registry_parameters where parameter = 'scaler_type'"
        )

    pair = (LIB, "1.0.0", "1.1.0", V100, V110)
    assert sorted(changes) == sorted(
        [
            (*pair, "symbol_added", "toylib.models.ToyTCN", "", "", "", ""),
            (*pair, "symbol_removed", "toylib.legacy_fit", "", "", "", ""),
            (*pair, "parameter_added", "toylib.models.ToyRNN", "learning_rate", "", "", ""),
            (*pair, "parameter_removed", "toylib.models.ToyRNN", "dropout", "", "", ""),
            (*pair, "default_changed", "toylib.models.ToyRNN", "input_size", "default_repr", "-1", "48"),
            (*pair, "type_changed", "toylib.models.ToyRNN", "scaler_type", "normalized_type", "str", "literal"),
            (*pair, "capability_changed", "ToyRNN", "", "exogenous_futr", "false", "true"),
            (*pair, "capability_changed", "ToyMLP", "", "auto_class", "", "AutoToyMLP"),
        ]
    )

    yes, no = True, False
    assert sorted(capabilities) == sorted(
        [
            (V100, "ToyRNN", no, yes, yes, no, no, yes, "recurrent", "AutoToyRNN", yes, yes, "", yes, 1),
            (V100, "ToyMLP", yes, yes, yes, no, no, no, "direct", "", no, yes, "", no, 0),
            (V110, "ToyRNN", yes, yes, yes, no, no, yes, "recurrent", "AutoToyRNN", yes, yes, "", yes, 1),
            (V110, "ToyMLP", yes, yes, yes, no, no, no, "direct", "AutoToyMLP", yes, yes, "", no, 0),
            (V110, "ToyTCN", yes, yes, yes, no, no, no, "direct", "", no, no, TCN_BUILD_ERROR, yes, 0),
            (V110_CUDA, "ToyRNN", no, yes, yes, no, no, yes, "recurrent", "AutoToyRNN", yes, yes, "", no, 0),
        ]
    )

    assert sorted(history) == sorted(
        [
            (LIB, "1.0.0", "ToyRNN", V100, 1, no, no, yes, yes, no, no, yes, yes, "AutoToyRNN", no),
            (LIB, "1.0.0", "ToyMLP", V100, 1, no, yes, yes, yes, no, no, no, yes, "", no),
            (LIB, "1.1.0", "ToyRNN", V110, 2, yes, yes, yes, yes, no, no, yes, yes, "AutoToyRNN", yes),
            (LIB, "1.1.0", "ToyMLP", V110, 2, yes, yes, yes, yes, no, no, no, yes, "AutoToyMLP", yes),
            (LIB, "1.1.0", "ToyTCN", V110, 2, yes, yes, yes, yes, no, no, no, no, "", no),
        ]
    )

    assert sorted(overrides) == [
        (V100, "ToyRNN", "recurrent", "False", "recurrent", True, False),
        (V110, "ToyRNN", "recurrent", "False", "recurrent", True, False),
    ]

    assert sorted(libraries) == sorted(
        [
            (V100, "scanned", 9, 9, 3, 2, 3, 1),
            (V110, "scanned", 9, 9, 3, 3, 3, 2),
            (V110_CUDA, "scanned", 9, 7, 0, 1, 0, 1),
            (V120_FAILED, "failed", 0, 0, 0, 0, 0, 0),
        ]
    )

    assert sorted(scaler_type) == [
        (V100, "class", 3, "'minmax' | 'robust' | 'standard'", "docstring"),
        (V110, "class", 2, "'robust' | 'standard'", "library_check:toylib.common.TemporalNorm | literal_annotation"),
        (V110_CUDA, "class", 0, "", ""),
    ]
