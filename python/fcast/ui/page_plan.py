"""Plan page: build or edit a run plan with registry-limited choices and live validation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import yaml

from fcast import settings
from fcast.plans.spec import dump_plan
from fcast.ui import plan_builder, reads
from fcast.ui.widgets import registry_facts, require_marts

PLAN_KEY = "plan_yaml"
NEW_PLAN = "a new, empty plan"


def _start_from(choice: str) -> None:
    if choice == NEW_PLAN:
        st.session_state[PLAN_KEY] = yaml.safe_dump(plan_builder.new_document("my_plan"), sort_keys=False)
    else:
        st.session_state[PLAN_KEY] = Path(choice).read_text(encoding="utf-8")


def _standard(game: str) -> None:
    from fcast.plans.standard import standard_plan

    st.session_state[PLAN_KEY] = dump_plan(standard_plan(game, max_steps=100))


def _append(form: plan_builder.RunForm) -> None:
    st.session_state[PLAN_KEY] = plan_builder.add_run(st.session_state.get(PLAN_KEY, ""), form.run())


def _source_controls(facts) -> None:
    left, right = st.columns(2)
    files = [str(path) for path in settings.plan_files()]
    with left:
        choice = st.selectbox("Start from", [NEW_PLAN, *files], key="plan_source")
        st.button("Load", on_click=_start_from, args=(choice,), key="plan_load")
    with right:
        game = st.selectbox("…or the standard k+1 plan of", plan_builder.game_choices(facts), key="plan_std_game")
        st.button("Load standard plan", on_click=_standard, args=(game,), key="plan_load_std")


def _index_of(choices: list[str], preferred: str) -> int:
    return choices.index(preferred) if preferred in choices else 0


def _run_form(facts) -> plan_builder.RunForm:
    st.subheader("Add a run")
    columns = st.columns(4)
    dataset = columns[0].selectbox("Dataset", plan_builder.dataset_choices(facts), key="form_dataset")
    series = columns[1].selectbox("Series", plan_builder.series_choices(facts, dataset), key="form_series")
    models = plan_builder.model_choices(facts)
    model = columns[2].selectbox(
        "Model", models, index=models.index("NHITS") if "NHITS" in models else 0, key="form_model"
    )
    losses = plan_builder.loss_choices(facts, model)
    loss = columns[3].selectbox("Loss", losses, index=_index_of(losses, "MAE"), key="form_loss")
    panel = plan_builder.is_panel(facts, dataset)
    note = plan_builder.dataset_note(facts, dataset)
    if note:
        st.caption(note + ("; the row takes its freq from the dataset" if panel else ""))
    # A panel's defaults follow its season (h = one season, CV windows one horizon apart); keyed by dataset,
    # so choosing another dataset starts from its own defaults.
    horizon_default = plan_builder.default_horizon(facts, dataset)
    numbers = st.columns(6)
    horizon = numbers[0].number_input("Horizon h", 1, 400, horizon_default, key=f"form_h_{dataset}")
    input_size = numbers[1].number_input(
        "input_size", 1, 2000, 2 * horizon_default if panel else 20, key=f"form_input_{dataset}"
    )
    max_steps = numbers[2].number_input("max_steps", 1, 100_000, 100, key="form_steps")
    n_windows = numbers[3].number_input("CV windows", 1, 200, 2 if panel else 20, key=f"form_windows_{dataset}")
    step_size = numbers[4].number_input(
        "CV step", 1, 400, int(horizon) if panel else 1, key=f"form_step_{dataset}_{int(horizon)}"
    )
    scalers = plan_builder.allowed_values(facts, model, "scaler_type")
    scaler = numbers[5].selectbox(
        "scaler_type",
        ["", *scalers],
        index=1 + scalers.index("robust") if "robust" in scalers else 0,
        key="form_scaler",
    )
    capabilities = facts.models[model]
    n_series = 0
    if capabilities["multivariate"]:
        selectors = facts.selectors.get((dataset, series), 1)
        n_series = st.number_input(
            f"n_series ({model} is multivariate: the number of series it models jointly)",
            1,
            100,
            max(selectors, 1),
            key="form_n_series",
        )
    feature_options = plan_builder.feature_choices(facts, model, dataset)
    features = {}
    feature_columns = st.columns(3)
    for column, kind in zip(feature_columns, plan_builder.FEATURE_KINDS, strict=True):
        choices = feature_options[kind]
        if choices:
            label = f"{kind} features"
        elif panel and capabilities.get(f"exogenous_{kind}"):
            label = f"{kind} features ({dataset} has none)"
        else:
            label = f"{kind} features ({model} takes none)"
        features[kind] = column.multiselect(label, choices, key=f"form_{kind}_{dataset}", disabled=not choices)
    _feature_definitions(panel, [name for kind in plan_builder.FEATURE_KINDS for name in features[kind]])
    covered = plan_builder.futr_steps(facts, dataset)
    if panel and features["futr"]:
        short = {name: covered.get(name, 0) for name in features["futr"] if covered.get(name, 0) < horizon}
        text = ", ".join(f"{name}: {steps}" for name, steps in short.items())
        if short:
            st.warning(
                f"Future values for fewer steps than h={horizon} ({text}): upload a futr file on the Data page, "
                "or shorten the horizon.",
                icon=":material/warning:",
            )
    search = st.columns(2)
    backend = search[0].selectbox(
        "Hyperparameter search",
        ["", "optuna", "ray"],
        key="form_search",
        format_func=lambda value: value or "none (one fit)",
    )
    samples = search[1].number_input("Trials", 1, 500, 10, key="form_samples", disabled=not backend)
    name = st.text_input("Run name", f"{dataset}_{series}_{model.lower()}", key="form_name")
    return plan_builder.RunForm(
        name=name,
        dataset=dataset,
        series=series,
        model=model,
        loss=loss,
        horizon=int(horizon),
        input_size=int(input_size),
        max_steps=int(max_steps),
        scaler_type=scaler,
        n_windows=int(n_windows),
        features=features,
        n_series=int(n_series),
        search_backend=backend,
        num_samples=int(samples) if backend else 0,
        freq=plan_builder.row_freq(facts, dataset),
        step_size=int(step_size),
    )


def _validation(check: plan_builder.PlanCheck) -> None:
    st.subheader("Validation")
    if check.format_error:
        st.error(f"The plan cannot be read: {check.format_error}", icon=":material/error:")
        return
    for result in check.results:
        errors, warnings = len(result.errors), len(result.violations) - len(result.errors)
        text = f"**{result.row.run_name}** ({result.row.model} on {result.row.dataset}/{result.row.series})"
        if result.valid:
            st.success(
                f"{text}: valid" + (f", {warnings} warning(s)" if warnings else ""), icon=":material/check_circle:"
            )
        else:
            st.error(f"{text}: REJECTED, {errors} violation(s)", icon=":material/error:")
    violations = check.violations()
    if not violations.empty:
        st.dataframe(violations, hide_index=True)


def _save(facts) -> None:
    lines: list[str] = []
    try:
        with st.spinner("Rehearsing every run: one training step on its real data, on the trainer's path ..."):
            path = plan_builder.save_plan(st.session_state[PLAN_KEY], facts, progress=lines.append)
        rehearsed = f" Rehearsal: {'; '.join(line.strip() for line in lines)}" if lines else ""
        st.session_state["plan_saved"] = (
            "ok",
            f"Saved {path}: train it on the Runs page or `fcast train {path}`.{rehearsed}",
        )
    except (plan_builder.PlanSaveError, yaml.YAMLError) as error:
        st.session_state["plan_saved"] = ("error", str(error))


def _feature_definitions(panel: bool, chosen: list[str]) -> None:
    """What the chosen feature columns hold (every column when none is chosen), from marts.feat_catalogue."""
    if reads.missing_marts(["marts.feat_catalogue"]):
        return
    catalogue = reads.frame(
        "select feature, feature_group, definition, window_draws, feature_source, leakage_rule, runs_using "
        "from marts.feat_catalogue where dataset_kind = ? order by feature_group, feature",
        ("panel" if panel else "game",),
    )
    if chosen:
        catalogue = catalogue[catalogue["feature"].isin(chosen)]
    with st.expander(f"Feature catalogue: {'the chosen' if chosen else 'every'} feature column ({len(catalogue)})"):
        st.dataframe(catalogue, hide_index=True)


def render_plan() -> None:
    st.title("Plan")
    if not require_marts("marts.registry_model_capabilities", "marts.mart_series_selectors", "marts.nf_train_df"):
        return
    facts = registry_facts()
    st.caption(f"Choices and validation come from the registry of {facts.env_key}.")
    if PLAN_KEY not in st.session_state:
        _start_from(NEW_PLAN)
    _source_controls(facts)
    form = _run_form(facts)
    st.button("Add run to the plan", on_click=_append, args=(form,), key="plan_add")
    st.subheader("The plan (YAML, editable)")
    st.text_area("Plan YAML", key=PLAN_KEY, height=320, label_visibility="collapsed")
    check = plan_builder.check_plan(st.session_state[PLAN_KEY], facts)
    _validation(check)
    st.button(
        "Save plan",
        type="primary",
        disabled=not check.valid,
        on_click=_save,
        args=(facts,),
        key="plan_save",
        help="rehearses every run (one training step on its real data) before it saves"
        if check.valid
        else "fix every violation first: a rejected plan is not saved",
    )
    if not check.valid:
        st.caption("A plan is saved only when every run is valid.")
    outcome = st.session_state.pop("plan_saved", None)
    if outcome:
        (st.success if outcome[0] == "ok" else st.error)(outcome[1])
