-- A COMPLETED train or retrain run has metrics for every cross-validation window, forecasts of the
-- next h draws for each of its series, and a stored model; a COMPLETED predict run has forecasts.
select
    run_id,
    run_kind,
    cv_windows,
    n_next_forecasts,
    has_stored_model
from {{ ref('run_history') }}
where
    status = 'COMPLETED'
    and (
        n_next_forecasts <> horizon * n_series
        or (run_kind in ('train', 'retrain') and (cv_windows = 0 or not has_stored_model))
    )
