"""Registry page: search the scanned libraries, the capability matrix, losses and what the probes saw."""

from __future__ import annotations

import streamlit as st

from fcast.ui import charts, reads
from fcast.ui.widgets import apply_filter, multiselect_filter, require_marts

CAPABILITY_FLAGS = [
    "exogenous_futr",
    "exogenous_hist",
    "exogenous_stat",
    "exogenous_cat",
    "multivariate",
    "recurrent",
    "auto_available",
    "probabilistic_outputs_possible",
]


def _filters(libraries) -> dict:
    st.caption("Filters apply to every tab; leave one empty for everything.")
    top = st.columns(4)
    with top[0]:
        library = multiselect_filter("Library", sorted(libraries["library"].unique()), "registry_library")
    chosen = apply_filter(libraries, "library", library)
    with top[1]:
        version = multiselect_filter("Version", sorted(chosen["library_version"].unique()), "registry_version")
    with top[2]:
        capability = st.multiselect(
            "Capabilities (all of)", CAPABILITY_FLAGS, key="registry_capability", placeholder="any"
        )
    with top[3]:
        loss = st.text_input("Loss (class contains)", key="registry_loss")
    bottom = st.columns(3)
    model = bottom[0].text_input("Model (contains)", key="registry_model")
    method = bottom[1].text_input("Method (e.g. fit, predict, `__init__`)", key="registry_method")
    argument = bottom[2].text_input("Argument (contains)", key="registry_argument")
    scoped = apply_filter(chosen, "library_version", version)
    return {
        "env_keys": set(scoped["env_key"]),
        "library": library,
        "version": version,
        "capability": capability,
        "loss": loss.strip(),
        "model": model.strip(),
        "method": method.strip(),
        "argument": argument.strip(),
    }


def _contains(frame, column: str, text: str):
    return frame[frame[column].astype(str).str.contains(text, case=False, regex=False)] if text else frame


def _scope(frame, chosen: dict):
    """Rows of the scans (env_key) of the chosen libraries and versions."""
    return frame[frame["env_key"].isin(chosen["env_keys"])]


def _capabilities_tab(chosen: dict) -> None:
    capabilities = _scope(reads.frame("select * from marts.registry_model_capabilities order by model_class"), chosen)
    capabilities = _contains(capabilities, "model_class", chosen["model"])
    for flag in chosen["capability"]:
        capabilities = capabilities[capabilities[flag].fillna(False).astype(bool)]
    if chosen["loss"]:
        accepting = reads.frame(
            "select distinct model_class from marts.registry_model_losses where accepted and role = 'loss' "
            "and lower(loss_class) like ?",
            (f"%{chosen['loss'].lower()}%",),
        )
        capabilities = capabilities[capabilities["model_class"].isin(accepting["model_class"])]
    st.write(f"{capabilities['model_class'].nunique()} model(s)")
    if capabilities.empty:
        return
    st.altair_chart(charts.capability_matrix_chart(capabilities, CAPABILITY_FLAGS), width="stretch")
    st.dataframe(capabilities, hide_index=True)
    model = st.selectbox("Evidence for a model's cells", sorted(capabilities["model_class"].unique()), key="cap_model")
    overrides = reads.frame(
        "select argument, argument_value, flag, class_value, instance_value from marts.registry_capability_overrides "
        "where model_class = ? order by flag, argument",
        (model,),
    )
    row = capabilities[capabilities["model_class"] == model].iloc[0]
    st.write(
        f"**{model}**: flags read from the class attributes of `{row['library']}` {row['library_version']} "
        f"(forecasting mode `{row['forecasting_mode']}`, builds: {bool(row['can_build'])}"
        + (f", build error: {row['build_error']}" if row["build_error"] else "")
        + "). Arguments that change a flag on the instance:"
    )
    st.dataframe(overrides, hide_index=True)


def _arguments_tab(chosen: dict) -> None:
    parameters = _scope(
        reads.frame(
            "select env_key, library, library_version, symbol, symbol_kind, parameter, parameter_kind, required, "
            "default_repr, normalized_type, allowed_values, allowed_value_sources, description "
            "from marts.registry_parameters"
        ),
        chosen,
    )
    parameters = _contains(parameters, "symbol", chosen["model"])
    if chosen["method"]:
        parameters = parameters[parameters["symbol"].str.endswith("." + chosen["method"])]
    parameters = _contains(parameters, "parameter", chosen["argument"])
    st.write(f"{len(parameters)} argument(s)")
    st.dataframe(parameters.head(2000), hide_index=True)


def _losses_tab(chosen: dict) -> None:
    losses = _scope(reads.frame("select * from marts.registry_losses order by loss_class, loss_variant"), chosen)
    losses = _contains(losses, "loss_class", chosen["loss"])
    st.write(f"{len(losses)} loss(es): point or probabilistic (family), and whether they train")
    st.dataframe(losses, hide_index=True)
    compatibility = reads.frame(
        "select env_key, model_class, loss_class, loss_variant, role, declared_accepted, declared_error, "
        "observed_outcome, observed_error, agreement from marts.probe_model_loss_compatibility "
        "order by model_class, loss_class"
    )
    compatibility = _contains(_scope(compatibility, chosen), "model_class", chosen["model"])
    compatibility = _contains(compatibility, "loss_class", chosen["loss"])
    st.write("Declared (registry) against observed (probes) model × loss compatibility")
    st.dataframe(compatibility, hide_index=True)


def _outcomes_tab(chosen: dict) -> None:
    outcomes = _scope(
        reads.frame(
            "select env_key, library, model_class, method, argument, value_label, outcome, verdict, "
            "context_label, outcome_reason, observed_differences, error_type, error_message, library_warnings, "
            "probe_id, baseline_probe_id, n_probes, n_probes_ok, duration_seconds, "
            "max_abs_diff_from_baseline, probed_at from marts.probe_argument_outcomes "
            "order by model_class, method, argument"
        ),
        chosen,
    )
    outcomes = _contains(outcomes, "model_class", chosen["model"])
    outcomes = _contains(outcomes, "method", chosen["method"])
    outcomes = _contains(outcomes, "argument", chosen["argument"])
    st.write(
        f"{len(outcomes)} probed argument value(s): each was really called, in the context shown (data shape, h, "
        "steps, losses); the verdict says only what was observed (a default is the baseline, an effect the probe "
        "cannot see is 'not observable' with the reason); the message is what the library raised, the probe id "
        "is the evidence (raw.registry_probes)."
    )
    if outcomes.empty:
        return
    st.altair_chart(charts.outcome_chart(outcomes), width="stretch")
    st.dataframe(outcomes, hide_index=True)


def _foundation_tab() -> None:
    if reads.missing_marts(["marts.registry_foundation_models"]):
        st.info("No foundation-model adapters scanned yet: run `fcast registry scan`.")
        return
    adapters = reads.frame(
        "select model_class, library, library_version, zero_shot, quantile_min, quantile_max, max_context, "
        "max_horizon, fine_tuning, embeddings, needs_checkpoint, default_checkpoint, how_to_get, can_build "
        "from marts.registry_foundation_models order by model_class, library_version"
    )
    st.write(
        f"{adapters['model_class'].nunique()} foundation model(s), each under the version of the library it runs "
        "on. A plan row names one as its `model`; its weights go in `default_checkpoint` under FCAST_TSFM_HOME."
    )
    st.dataframe(adapters, hide_index=True)


def _feature_catalogue_tab() -> None:
    if reads.missing_marts(["marts.feat_catalogue"]):
        st.info("The feature catalogue is not built yet: run `fcast build`.")
        return
    catalogue = reads.frame("select * from marts.feat_catalogue order by dataset_kind, feature_group, feature")
    st.write(
        f"{len(catalogue)} feature column(s) a plan can select, with what they hold, the window they read, the rule "
        "that keeps them free of look-ahead and how many stored models used them."
    )
    st.dataframe(catalogue, hide_index=True)


def render_registry() -> None:
    st.title("Registry")
    if not require_marts(
        "marts.registry_libraries", "marts.registry_model_capabilities", "marts.probe_argument_outcomes"
    ):
        return
    libraries = reads.frame("select * from marts.registry_libraries order by library, version_sort_key")
    st.dataframe(
        libraries[["library", "library_version", "status", "n_models", "n_losses", "n_parameters", "scanned_at"]],
        hide_index=True,
    )
    chosen = _filters(libraries)
    tabs = st.tabs(
        ["Capability matrix", "Arguments", "Losses", "Argument outcomes", "Foundation models", "Feature catalogue"]
    )
    with tabs[0]:
        _capabilities_tab(chosen)
    with tabs[1]:
        _arguments_tab(chosen)
    with tabs[2]:
        _losses_tab(chosen)
    with tabs[3]:
        _outcomes_tab(chosen)
    with tabs[4]:
        _foundation_tab()
    with tabs[5]:
        _feature_catalogue_tab()
