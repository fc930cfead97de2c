-- How often each anomaly detector flags draws of each game, against the rate chance predicts. Draws are i.i.d.
-- and each block's threshold is a split-conformal quantile of disjoint calibration windows, so chance flags a
-- draw of the block with probability chance_flag_rate (just under the contamination setting). Flags of one block
-- share their threshold and overlapping windows, so the test compares the blocks' rates (one block: one series'
-- draws scored by one fit) with their chance rates: a one-sample test of the differences across blocks.
with

scored as (
    select
        game_code,
        detector,
        detector_class,
        library_version,
        window_draws,
        contamination,
        unique_id,
        fitted_through_ds,
        chance_flag_rate,
        flagged
    from {{ ref('stg_raw__feature_anomalies') }}
    where detector <> 'regime' and not warmup
),

blocks as (
    select
        game_code,
        detector,
        detector_class,
        library_version,
        window_draws,
        contamination,
        unique_id,
        fitted_through_ds,
        count(*) as draws_scored,
        sum(flagged) as draws_flagged,
        cast(sum(flagged) as float8) / count(*) - avg(chance_flag_rate) as rate_difference,
        sum(chance_flag_rate) as draws_expected
    from scored
    group by
        game_code,
        detector,
        detector_class,
        library_version,
        window_draws,
        contamination,
        unique_id,
        fitted_through_ds
),

counted as (
    select
        game_code,
        detector,
        detector_class,
        library_version,
        window_draws,
        contamination,
        cast(count(distinct unique_id) as bigint) as series_scored,
        cast(count(*) as bigint) as blocks_scored,
        cast(sum(draws_scored) as bigint) as draws_scored,
        cast(sum(draws_flagged) as bigint) as draws_flagged,
        cast(sum(draws_flagged) as float8) / sum(draws_scored) as observed_flag_rate,
        sum(draws_expected) / sum(draws_scored) as expected_flag_rate,
        avg(rate_difference) as mean_block_difference,
        stddev_samp(rate_difference) as block_difference_sd
    from blocks
    group by game_code, detector, detector_class, library_version, window_draws, contamination
),

tested as (
    select
        *,
        case
            when blocks_scored > 1 and block_difference_sd > 0
                then mean_block_difference / (block_difference_sd / sqrt(blocks_scored))
        end as z_score
    from counted
),

with_p as (
    select
        *,
        {{ normal_upper_tail('z_score') }} as p_more_than_chance,
        {{ normal_upper_tail('-z_score') }} as p_fewer_than_chance
    from tested
)

select
    game_code,
    detector,
    detector_class,
    library_version,
    window_draws,
    contamination,
    series_scored,
    blocks_scored,
    draws_scored,
    draws_flagged,
    observed_flag_rate,
    expected_flag_rate,
    z_score,
    p_more_than_chance,
    p_fewer_than_chance,
    observed_flag_rate / expected_flag_rate as flag_rate_ratio,
    case
        when z_score is null then 'too few blocks to tell'
        when p_more_than_chance < 0.01 then 'more often than chance'
        when p_fewer_than_chance < 0.01 then 'less often than chance'
        else 'as often as chance'
    end as flag_verdict,
    case
        when z_score is null
            then 'too few scored blocks to compare the flag rate with chance: score more draws or series'
        when p_more_than_chance < 0.01
            then
                'flags more draws than chance predicts for i.i.d. draws at its calibrated thresholds (p < 0.01): '
                || 'check the data of this game before reading the flags as signal'
        when p_fewer_than_chance < 0.01
            then
                'flags fewer draws than chance predicts (p < 0.01): windows of few distinct values tie at the '
                || 'threshold; the flags carry no more than chance'
        else 'flags no more often than chance predicts for i.i.d. draws: the flags carry no signal'
    end as verdict
from with_p
