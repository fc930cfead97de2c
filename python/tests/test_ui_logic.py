"""What the UI pages rely on, without a browser: dry-run uploads, the launch check, plan building, cancelling."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fcast import db
from fcast.ui import jobs, launch, plan_builder, uploads

from .conftest import SHIPPED, run_fcast


def count(sql: str) -> int:
    with db.connect(read_only=True) as warehouse:
        return int(warehouse.fetchall(sql)[0][0])


def test_a_draw_upload_is_checked_without_storing_then_stored_once(duckdb_env):
    data = (SHIPPED / "loto7.json").read_bytes()
    check = uploads.check_upload("loto7.json", data, uploads.DRAWS)
    assert (check.error, check.would_add, check.already_known, len(check.problems)) == ("", 658, 0, 0)
    assert count("select count(*) from raw.lottery_draws") == 0
    assert count("select count(*) from raw.ingest_files") == 0
    from fcast.ingest.loader import load_draws
    from fcast.ingest.sources import read_upload

    assert load_draws(read_upload("loto7.json", data)).added == 658
    again = uploads.check_upload("loto7.json", data, uploads.DRAWS)
    assert (again.would_add, again.already_known, again.storable) == (0, 658, False)


def test_upload_problems_name_row_and_rule_and_conflicts_are_listed(duckdb_env, tmp_path):
    from fcast.ingest.loader import load_draws
    from fcast.ingest.sources import read_source

    load_draws(read_source(str(SHIPPED / "loto6.json")))
    first = min(json.loads((SHIPPED / "loto6.json").read_text()), key=lambda draw: draw["round"])
    rows = [
        {**first, "numbers": [1, 2, 3, 4, 5, 6]},
        {"round": 5000, "date": "2040-01-02", "numbers": [1, 5, 15, 31, 36, 44], "bonus": [2]},
    ]
    check = uploads.check_upload("loto6_mixed.json", json.dumps(rows).encode(), uploads.DRAWS, "loto6")
    assert check.storable and check.would_add == 0
    assert set(zip(check.problems["row"], check.problems["rule"], strict=True)) == {
        (1, "conflicting_restatement"),
        (2, "number_range"),
    }
    assert count("select count(*) from raw.lottery_draw_conflicts") == 0
    assert count("select count(*) from raw.ingest_rejects") == 0


def test_panel_uploads_report_types_encodings_sizes_and_suffixes(duckdb_env, monkeypatch):
    good = pd.DataFrame({"unique_id": ["a"] * 4, "ds": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 4.0]})
    check = uploads.check_upload("p.csv", good.to_csv(index=False).encode(), uploads.PANEL, dataset_name="demo")
    assert (check.error, check.would_add, len(check.problems)) == ("", 4, 0)
    bad_y = b"unique_id,ds,y\na,1,1\na,2,x\n"
    check = uploads.check_upload("p.csv", bad_y, uploads.PANEL, dataset_name="demo")
    assert list(check.problems["rule"]) == ["y_type"] and list(check.problems["row"]) == [3]
    utf16 = "unique_id,ds,y\na,1,1\n".encode("utf-16")
    assert "UTF-8" in uploads.check_upload("p.csv", utf16, uploads.PANEL, dataset_name="demo").error
    wrong_columns = b"series,date,value\na,1,1\n"
    assert "unique_id, ds, y" in uploads.check_upload("p.csv", wrong_columns, uploads.PANEL, dataset_name="demo").error
    assert "must be .csv, .parquet" in uploads.check_upload("p.xlsx", b"x", uploads.PANEL, dataset_name="demo").error
    assert "is empty" in uploads.check_upload("p.csv", b"", uploads.PANEL, dataset_name="demo").error
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 0.00001)
    assert "FCAST_UI_MAX_UPLOAD_MB" in uploads.check_upload("p.csv", bad_y, uploads.PANEL, dataset_name="demo").error
    assert count("select count(*) from raw.panel_observations") == 0


def test_the_launch_check_names_what_is_missing(duckdb_env):
    problems = launch.environment_problems()
    assert len(problems) == 1 and "bootstrap.py main" in problems[0] and "marts.run_history" in problems[0]
    result = run_fcast("ui", "--check", env=duckdb_env, check=False)
    assert result.returncode == 1 and "marts.mart_ingest_issues" in result.stderr


def test_the_launch_check_passes_on_the_built_warehouse(built_duckdb):
    result = run_fcast("ui", "--check", env=built_duckdb)
    assert "the UI can start" in result.stdout


def test_plan_choices_come_from_the_registry_and_saving_needs_a_valid_plan(built_env, tmp_path, monkeypatch):
    from fcast.registry.facts import RegistryFacts

    monkeypatch.setenv("FCAST_PLANS_DIR", str(tmp_path / "plans"))
    facts = RegistryFacts.load()
    assert "NHITS" in plan_builder.model_choices(facts)
    assert "Accuracy" not in plan_builder.loss_choices(facts, "NHITS")  # not trainable
    assert {"robust", "standard"} <= set(plan_builder.allowed_values(facts, "NHITS", "scaler_type"))
    assert plan_builder.series_choices(facts, "loto6") == ["N1", "N2", "N3", "N4", "N5", "N6", "all"]
    for model in plan_builder.model_choices(facts):
        offered = plan_builder.feature_choices(facts, model)
        for kind in plan_builder.FEATURE_KINDS:
            assert bool(offered[kind]) == facts.models[model][f"exogenous_{kind}"], (model, kind)
    form = plan_builder.RunForm(
        "ui_nhits",
        "loto6",
        "N1",
        "NHITS",
        "MAE",
        1,
        12,
        2,
        "robust",
        2,
        {"futr": ["fut_weekday"], "hist": [], "stat": []},
    )
    text = plan_builder.add_run("plan: ui_plan\nruns: []\n", form.run())
    assert plan_builder.check_plan(text, facts).valid
    path = plan_builder.save_plan(text, facts)
    assert path == tmp_path / "plans" / "ui_plan.yaml" and path.read_text() == text
    rejected = text.replace("series: N1", "series: N9").replace("plan: ui_plan", "plan: ui_rejected")
    check = plan_builder.check_plan(rejected, facts)
    assert not check.valid and "unknown_series_selector" in set(check.violations()["rule"])
    with pytest.raises(plan_builder.PlanSaveError, match="not saved"):
        plan_builder.save_plan(rejected, facts)
    assert not (tmp_path / "plans" / "ui_rejected.yaml").exists()
    assert plan_builder.check_plan("plan: [", facts).format_error


def test_only_a_live_run_can_be_cancelled(built_duckdb):
    from .conftest import environment

    with environment(built_duckdb):
        completed = db.read_frame("select run_id from raw.nf_model_runs where status = 'COMPLETED' limit 1").iloc[0, 0]
        with pytest.raises(jobs.CancelError, match="only a PENDING or RUNNING run"):
            jobs.cancel_run(completed)
        with pytest.raises(jobs.CancelError, match="no run"):
            jobs.cancel_run("does-not-exist")


def test_a_stored_panel_upload_lands_in_the_raw_tables_and_the_long_format(trained_copy):
    panel = pd.DataFrame(
        {
            "unique_id": ["a"] * 6 + ["b"] * 6,
            "ds": list(range(1, 7)) * 2,
            "y": [str(float(v)) for v in range(11)] + ["not a number"],
            "hist_signal": [0.5] * 12,
        }
    )
    data = panel.to_csv(index=False).encode()
    stored = uploads.store_upload("shop.csv", data, uploads.PANEL, dataset_name="shop")
    assert stored.rebuild_ok, stored.rebuild_output
    assert stored.added == 11 and list(stored.problems["rule"]) == ["y_type"]
    assert count("select count(*) from raw.panel_observations where dataset_name = 'shop'") == 11
    assert count("select count(*) from raw.ingest_rejects where subject = 'shop'") == 1
    assert count("select count(*) from marts.fct_series_long where dataset_name = 'shop'") == 11
    again = uploads.store_upload("shop.csv", data, uploads.PANEL, dataset_name="shop")
    assert again.added == 0 and count("select count(*) from raw.panel_observations") == 11
    assert count("select count(*) from raw.ingest_rejects where subject = 'shop'") == 1
