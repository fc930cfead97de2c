"""The feature catalogue lists every feature column a plan can select, on both targets: each game column of the
feature marts once, with its definition from the marts' yml, its group, source, window and leakage rule, and how
many stored models used it."""

from __future__ import annotations

from fcast import db


def test_the_catalogue_lists_every_feature_column_with_its_definition_and_use(built_env):
    with db.connect(read_only=True) as warehouse:
        catalogue = warehouse.fetch_frame("select * from marts.feat_catalogue where dataset_kind = 'game'")
        columns = {
            name
            for (name,) in warehouse.fetchall(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name in ('nf_train_df', 'nf_static_df')"
            )
            if name.startswith(("hist_", "fut_", "stat_"))
        }
        used = warehouse.fetchall(
            "select hist_exog_list from raw.model_artifacts where hist_exog_list like '%hist_lag_1%' limit 1"
        )
    rows = catalogue.set_index("feature")
    assert set(rows.index) == columns and len(catalogue) == len(columns)
    assert rows["definition"].str.len().gt(5).all() and rows["data_type"].notna().all()
    assert rows.loc["hist_lag_5", "feature_group"] == "hist" and rows.loc["hist_lag_5", "window_draws"] == 5
    assert rows.loc["hist_roll_mean_20", "window_draws"] == 20
    assert rows.loc["fut_weekday", "feature_group"] == "futr" and "calendar" in rows.loc["fut_weekday", "leakage_rule"]
    assert rows.loc["stat_slot_index", "feature_group"] == "stat"
    assert rows.loc["hist_emb_chronos2_1", "feature_source"].startswith("fcast features embed")
    assert rows.loc["hist_emb_chronos2_1", "runs_using"] == 0  # the standard plan leaves embeddings out
    assert used and rows.loc["hist_lag_1", "runs_using"] >= 1  # the main job's Loto6 models used it
