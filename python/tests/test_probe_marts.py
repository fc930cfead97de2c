"""The probe and run-plan marts on both targets: empty on an empty warehouse, exact rows on a small synthetic set.

The synthetic set is one scanned neuralforecast environment with MLP: its declared losses (MAE accepted,
DistributionLoss(distribution=Normal) refused, MQLoss accepted but never probed), probes with every outcome
(a loss probe of each kind, a valid_loss the probe cannot observe, with no declared row), and one plan of two
rows: one valid, one rejected with an error and a warning.
"""

from __future__ import annotations

import datetime as dt

from fcast import db
from fcast.raw_schema import (
    PLAN_VALIDATIONS,
    PLAN_VIOLATIONS,
    REGISTRY_ENVIRONMENTS,
    REGISTRY_LOSSES,
    REGISTRY_MODEL_CAPABILITIES,
    REGISTRY_MODEL_LOSSES,
    REGISTRY_PROBES,
    RUN_PLANS,
)

from .conftest import run_fcast

PROBE_MARTS = (
    "probe_argument_outcomes",
    "probe_model_loss_compatibility",
    "probe_summary",
    "plan_validation_results",
    "plan_violations",
)

LIB = "neuralforecast"
ENV = "neuralforecast==3.3.0|py3.11.7|torch2.13.0+cpu|cpu"
PROBED_AT = dt.datetime(2025, 5, 1, 12, 0)
NORMAL = "DistributionLoss(distribution=Normal)"
NORMAL_REFUSED = "ValueError: MLP does not support distribution losses"
PLAN = "loto6_weekly"


def _probe(
    probe_id: str,
    method: str,
    argument: str,
    value_label: str,
    outcome: str,
    duration: float,
    error_type: str = "",
    error_message: str = "",
    diff: float | None = None,
    reason: str = "",
) -> dict:
    ran = outcome in ("ok", "not_observable", "nan_output")
    return REGISTRY_PROBES.row(
        {
            "env_key": ENV,
            "probe_id": probe_id,
            "library": LIB,
            "model_class": "MLP",
            "method": method,
            "argument": argument,
            "value_label": value_label,
            "baseline_probe_id": "" if argument == "" else "pb-fit",
            "spec_json": '{"model": "MLP"}',
            "outcome": outcome,
            "error_type": error_type,
            "error_message": error_message,
            "duration_seconds": duration,
            "output_rows": 12 if ran else 0,
            "output_columns": "unique_id,ds,MLP" if ran else "",
            "max_abs_diff_from_baseline": diff,
            "tolerance": 1e-6,
            "probed_at": PROBED_AT,
            "outcome_reason": reason,
            "probe_version": "2",
            "series_count": 2,
            "series_length": 24,
            "context_label": "2 series x 24 points",
        }
    )


def _plan_row(plan_id: str, row_index: int, run_name: str, loss_class: str) -> tuple:
    return (
        plan_id,
        PLAN,
        "plans/loto6_weekly.yml",
        row_index,
        run_name,
        "loto6",
        "all_slots",
        "MLP",
        loss_class,
        "",
        7,
        "",
        '{"model": "MLP"}',
        PROBED_AT,
    )


NO_VALIDATION = "valid_loss acts on validation, and this probe validates nothing (val_size=0)"


def synthetic_probes_and_plans() -> dict:
    environments = [
        (
            ENV,
            LIB,
            "3.3.0",
            "00003.00003.00000",
            "3.11.7",
            "2.13.0+cpu",
            "cpu",
            "/opt/venv/bin/python",
            "1",
            "scanned",
            "",
            3.0,
            PROBED_AT,
        ),
    ]
    capabilities = [(ENV, LIB, "MLP", "class", "", "", True, True, True, False, False, False, "AutoMLP", True, "")]
    losses = [
        (ENV, LIB, "MAE", "", "point", "point", "MLP", False, True, "", True, ""),
        (
            ENV,
            LIB,
            "DistributionLoss",
            "distribution=Normal",
            "probabilistic_parametric",
            "distribution_parameters",
            "MLP,MLP-loc,MLP-scale",
            True,
            True,
            "",
            True,
            "",
        ),
        (
            ENV,
            LIB,
            "MQLoss",
            "",
            "probabilistic_nonparametric",
            "quantiles",
            "MLP-lo-80,MLP,MLP-hi-80",
            False,
            True,
            "",
            True,
            "",
        ),
    ]
    model_losses = [
        (ENV, LIB, "MLP", "MAE", "", "loss", True, ""),
        (ENV, LIB, "MLP", "DistributionLoss", "distribution=Normal", "loss", False, NORMAL_REFUSED),
        (ENV, LIB, "MLP", "MQLoss", "", "loss", True, ""),
    ]
    probes = [
        _probe("pb-fit", "fit", "", "", "ok", 1.5),
        _probe("pl-mae", "fit", "loss", "MAE", "ok", 1.25, diff=0.75),
        _probe(
            "pl-normal",
            "model_init",
            "loss",
            NORMAL,
            "raised",
            0.25,
            "ValueError",
            "MLP does not support distribution losses",
        ),
        _probe("pv-mq", "fit", "valid_loss", "MQLoss", "not_observable", 1.0, diff=0.0, reason=NO_VALIDATION),
        _probe("pa-lr", "fit", "learning_rate", "1000000.0", "nan_output", 2.0),
        _probe("pa-windows", "cross_validation", "n_windows", "1000", "timeout", 60.0),
        _probe("pa-step", "predict_insample", "step_size", "0", "crashed", 0.5),
    ]
    plans = [_plan_row("plan-a", 0, "mlp_mae", "MAE"), _plan_row("plan-b", 1, "mlp_normal", "DistributionLoss")]
    validations = [
        ("plan-a", ENV, "valid", 0, 0, PROBED_AT),
        ("plan-b", ENV, "rejected", 1, 1, PROBED_AT),
    ]
    violations = [
        (
            "plan-b",
            ENV,
            "loss_compatible",
            "loss",
            "error",
            "MLP refuses DistributionLoss as loss",
            "use MAE, MQLoss or another accepted loss",
            "probe",
            "pl-normal",
        ),
        (
            "plan-b",
            ENV,
            "horizon_within_calendar",
            "horizon",
            "warning",
            "h=7 is more than a month of Loto6 draws",
            "use h <= 4",
            "data",
            "futr rows per series: 30",
        ),
    ]
    return {
        REGISTRY_ENVIRONMENTS: environments,
        REGISTRY_MODEL_CAPABILITIES: capabilities,
        REGISTRY_LOSSES: losses,
        REGISTRY_MODEL_LOSSES: model_losses,
        REGISTRY_PROBES: probes,
        RUN_PLANS: plans,
        PLAN_VALIDATIONS: validations,
        PLAN_VIOLATIONS: violations,
    }


def by_name(table, rows: list) -> list[dict]:
    """The synthetic rows by column name (tuples here are written in the table's declared column order)."""
    return [row if isinstance(row, dict) else dict(zip(table.column_names, row, strict=True)) for row in rows]


def test_probe_marts_are_empty_on_an_empty_warehouse(warehouse_env):
    run_fcast(
        "build", "--select", "+marts.probes", "--indirect-selection", "cautious", env=warehouse_env
    )  # the probe marts and what they read
    with db.connect(read_only=True) as warehouse:
        for mart in PROBE_MARTS:
            assert warehouse.table_exists("marts", mart), mart
            assert warehouse.fetchall(f"select count(*) from marts.{mart}") == [(0,)], mart


def test_probe_marts_on_synthetic_probes_and_plans(warehouse_env):
    with db.connect() as warehouse:
        for table, rows in synthetic_probes_and_plans().items():
            assert warehouse.insert_rows(table, by_name(table, rows)) == len(rows), table.name
    result = run_fcast("build", "--select", "+marts.probes", "--indirect-selection", "cautious", env=warehouse_env)
    assert " WARN=0 " in result.stdout, result.stdout[-3000:]

    with db.connect(read_only=True) as warehouse:
        outcomes = warehouse.fetchall(
            "select env_key, model_class, method, argument, value_label, probe_id, baseline_probe_id, outcome, "
            "error_type, duration_seconds, max_abs_diff_from_baseline, verdict, is_baseline, n_probes, n_probes_ok "
            "from marts.probe_argument_outcomes"
        )
        compatibility = warehouse.fetchall(
            "select env_key, model_class, loss_class, loss_variant, role, loss_name, family, declared_accepted, "
            "declared_error, observed_outcome, observed_error, observed_runs, observed_methods, n_probes, agreement "
            "from marts.probe_model_loss_compatibility"
        )
        summary = warehouse.fetchall(
            "select env_key, library, method, n_probes, n_ok, n_raised, n_not_observable, n_nan_output, n_timeout, "
            "n_crashed, total_duration_seconds from marts.probe_summary"
        )
        results = warehouse.fetchall(
            "select plan_id, env_key, plan_name, row_index, run_name, model_class, loss_class, horizon, status, "
            "violations, warnings, n_error_rows, n_warning_rows, is_valid from marts.plan_validation_results"
        )
        violations = warehouse.fetchall(
            "select plan_id, env_key, plan_name, row_index, run_name, model_class, rule, field, severity, "
            "evidence_kind, evidence from marts.plan_violations"
        )

    yes, no = True, False
    assert sorted(outcomes) == sorted(
        [
            (ENV, "MLP", "fit", "", "", "pb-fit", "", "ok", "", 1.5, None, "runs", yes, 1, 1),
            (ENV, "MLP", "fit", "loss", "MAE", "pl-mae", "pb-fit", "ok", "", 1.25, 0.75, "runs", no, 1, 1),
            (
                ENV,
                "MLP",
                "model_init",
                "loss",
                NORMAL,
                "pl-normal",
                "pb-fit",
                "raised",
                "ValueError",
                0.25,
                None,
                "raises: ValueError",
                no,
                1,
                0,
            ),
            (
                ENV,
                "MLP",
                "fit",
                "valid_loss",
                "MQLoss",
                "pv-mq",
                "pb-fit",
                "not_observable",
                "",
                1.0,
                0.0,
                "not observable in this probe: " + NO_VALIDATION,
                no,
                1,
                0,
            ),
            (
                ENV,
                "MLP",
                "fit",
                "learning_rate",
                "1000000.0",
                "pa-lr",
                "pb-fit",
                "nan_output",
                "",
                2.0,
                None,
                "produces NaN",
                no,
                1,
                0,
            ),
            (
                ENV,
                "MLP",
                "cross_validation",
                "n_windows",
                "1000",
                "pa-windows",
                "pb-fit",
                "timeout",
                "",
                60.0,
                None,
                "times out",
                no,
                1,
                0,
            ),
            (
                ENV,
                "MLP",
                "predict_insample",
                "step_size",
                "0",
                "pa-step",
                "pb-fit",
                "crashed",
                "",
                0.5,
                None,
                "crashes the process",
                no,
                1,
                0,
            ),
        ]
    )

    assert sorted(compatibility) == sorted(
        [
            (ENV, "MLP", "MAE", "", "loss", "MAE", "point", yes, "", "ok", "", yes, "fit", 1, "both_accept"),
            (
                ENV,
                "MLP",
                "DistributionLoss",
                "distribution=Normal",
                "loss",
                NORMAL,
                "probabilistic_parametric",
                no,
                NORMAL_REFUSED,
                "raised",
                NORMAL_REFUSED,
                no,
                "model_init",
                1,
                "both_refuse",
            ),
            (
                ENV,
                "MLP",
                "MQLoss",
                "",
                "loss",
                "MQLoss",
                "probabilistic_nonparametric",
                yes,
                "",
                None,
                None,
                None,
                None,
                0,
                "declared_only",
            ),
            (
                ENV,
                "MLP",
                "MQLoss",
                "",
                "valid_loss",
                "MQLoss",
                "probabilistic_nonparametric",
                None,
                None,
                "not_observable",
                "",
                yes,
                "fit",
                1,
                "observed_only",
            ),
        ]
    )

    assert sorted(summary) == sorted(
        [
            (ENV, LIB, "fit", 4, 2, 0, 1, 1, 0, 0, 5.75),
            (ENV, LIB, "model_init", 1, 0, 1, 0, 0, 0, 0, 0.25),
            (ENV, LIB, "cross_validation", 1, 0, 0, 0, 0, 1, 0, 60.0),
            (ENV, LIB, "predict_insample", 1, 0, 0, 0, 0, 0, 1, 0.5),
        ]
    )

    assert sorted(results) == [
        ("plan-a", ENV, PLAN, 0, "mlp_mae", "MLP", "MAE", 7, "valid", 0, 0, 0, 0, yes),
        ("plan-b", ENV, PLAN, 1, "mlp_normal", "MLP", "DistributionLoss", 7, "rejected", 1, 1, 1, 1, no),
    ]

    assert sorted(violations) == [
        (
            "plan-b",
            ENV,
            PLAN,
            1,
            "mlp_normal",
            "MLP",
            "horizon_within_calendar",
            "horizon",
            "warning",
            "data",
            "futr rows per series: 30",
        ),
        ("plan-b", ENV, PLAN, 1, "mlp_normal", "MLP", "loss_compatible", "loss", "error", "probe", "pl-normal"),
    ]
