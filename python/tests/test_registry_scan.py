"""The registry scan against the installed neuralforecast: capabilities, losses, search spaces, no-op rescans."""

from __future__ import annotations

import inspect
import json

import pytest

from fcast import db
from fcast.registry.introspect import LibraryChecks, documented_options, normalize_type, parse_docstring

from .conftest import run_fcast

FLAGS = ("EXOGENOUS_FUTR", "EXOGENOUS_HIST", "EXOGENOUS_STAT", "EXOGENOUS_CAT", "MULTIVARIATE", "RECURRENT")


@pytest.fixture(scope="module")
def neuralforecast_classes():
    import neuralforecast.auto as auto
    import neuralforecast.losses.pytorch as losses
    import neuralforecast.models as models

    model_classes = {
        name: cls for name, cls in inspect.getmembers(models, inspect.isclass) if all(hasattr(cls, f) for f in FLAGS)
    }
    loss_classes = {
        name
        for name, cls in inspect.getmembers(losses, inspect.isclass)
        if cls.__module__ == losses.__name__
        and issubclass(cls, losses._BaseLoss)
        and not name.startswith(("_", "Base"))
    }
    auto_classes = {
        name
        for name, _ in inspect.getmembers(auto, inspect.isclass)
        if name.startswith("Auto") and name[4:] in model_classes
    }
    return model_classes, loss_classes, auto_classes


def query(sql: str):
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(sql)


def test_capability_matrix_equals_the_class_flags(built_env, neuralforecast_classes):
    model_classes, _, auto_classes = neuralforecast_classes
    matrix = query("select * from marts.registry_model_capabilities where env_key like 'neuralforecast==%'").set_index(
        "model_class"
    )
    assert set(matrix.index) == set(model_classes)
    for name, cls in model_classes.items():
        row = matrix.loc[name]
        for flag in FLAGS:
            assert bool(row[flag.lower()]) == bool(getattr(cls, flag)), (name, flag)
        assert bool(row["auto_available"]) == (f"Auto{name}" in auto_classes), name
        assert row["forecasting_mode"] == ("recurrent" if cls.RECURRENT else "direct")


def test_models_that_cannot_be_built_are_kept_with_the_reason(built_env):
    rows = query(
        "select model_class, can_build, build_error from marts.registry_model_capabilities "
        "where env_key like 'neuralforecast==%' and not can_build"
    )
    reasons = dict(zip(rows.model_class, rows.build_error, strict=True))
    assert "TimeLLM" in reasons and "transformers" in reasons["TimeLLM"]
    assert all(reason for reason in reasons.values())


def test_recurrent_argument_changes_the_instance_capability(built_env):
    rows = query(
        "select model_class, argument, argument_value, recurrent from raw.registry_model_capabilities "
        "where scope = 'instance' and argument = 'recurrent' order by 1, 3"
    )
    assert {(r.model_class, r.argument_value, bool(r.recurrent)) for r in rows.itertuples()} >= {
        ("LSTM", "false", False),
        ("LSTM", "true", True),
        ("GRU", "true", True),
        ("RNN", "true", True),
    }


def test_loss_catalogue_covers_every_loss_with_a_family(built_env, neuralforecast_classes):
    _, loss_classes, _ = neuralforecast_classes
    losses = query("select * from marts.registry_losses where env_key like 'neuralforecast==%'")
    assert set(losses.loss_class) == loss_classes
    assert set(losses.family) <= {"point", "probabilistic_parametric", "probabilistic_nonparametric"}
    by_class = losses.groupby("loss_class").first()
    assert by_class.loc["MAE", "family"] == "point" and by_class.loc["MQLoss", "outputs"] == "quantiles"
    assert by_class.loc["GMM", "family"] == "probabilistic_parametric"
    assert (
        not by_class.loc["relMSE", "trainable"]
        and "cannot be used for training" in by_class.loc["relMSE", "training_error"]
    )
    normal = losses[(losses.loss_class == "DistributionLoss") & (losses.loss_variant == "distribution=Normal")]
    assert json.loads(normal.output_names.iloc[0])[:3] == ["", "-median", "-lo-90"] or len(normal) == 1


def test_declared_compatibility_records_the_library_refusals(built_env):
    rows = query(
        "select model_class, loss_class, role, accepted, error from marts.registry_model_losses "
        "where env_key like 'neuralforecast==%'"
    )
    refused = rows[(rows.loss_class == "DeepNPTS") | ((rows.model_class == "DeepNPTS") & (rows.role == "loss"))]
    deep_npts = {r.loss_class: bool(r.accepted) for r in refused.itertuples()}
    assert deep_npts["MAE"] and not deep_npts["MQLoss"]
    accuracy = rows[(rows.loss_class == "Accuracy") & (rows.role == "loss")]
    assert not accuracy.accepted.any()


def test_auto_search_spaces_for_both_backends(built_env, neuralforecast_classes):
    _, _, auto_classes = neuralforecast_classes
    spaces = query(
        "select auto_class, backend, parameter, sampler, spec_json from marts.registry_search_spaces "
        "where env_key like 'neuralforecast==%'"
    )
    assert set(spaces.auto_class) == auto_classes
    assert set(spaces.backend) == {"ray", "optuna"}
    nhits = spaces[spaces.auto_class == "AutoNHITS"].set_index(["backend", "parameter"])
    assert nhits.loc[("optuna", "learning_rate"), "sampler"] == "loguniform"
    assert json.loads(nhits.loc[("optuna", "batch_size"), "spec_json"])["choices"] == [32, 64, 128, 256]
    assert nhits.loc[("ray", "learning_rate"), "sampler"] == "loguniform"


def test_allowed_values_come_with_their_source(built_env):
    values = query(
        "select symbol, parameter, allowed_value, value_source from marts.registry_allowed_values "
        "where env_key like 'neuralforecast==%'"
    )
    scalers = values[
        (values.symbol == "neuralforecast.core.NeuralForecast.__init__") & (values.parameter == "local_scaler_type")
    ]
    checked = scalers[scalers.value_source.str.startswith("library_check")]
    assert set(checked.allowed_value) == {"standard", "robust", "robust-iqr", "minmax", "boxcox"}
    assert "library_check:neuralforecast.core._type2scaler" in set(checked.value_source)
    assert {"standard", "boxcox"} <= set(scalers[scalers.value_source == "docstring"].allowed_value)
    nhits_scaler = values[
        (values.symbol == "neuralforecast.models.nhits.NHITS.__init__") & (values.parameter == "scaler_type")
    ]
    assert {"robust", "standard", "identity"} <= set(nhits_scaler.allowed_value)
    distribution = values[values.symbol.str.endswith("DistributionLoss.__init__")]
    assert {"Normal", "StudentT", "Poisson"} <= set(distribution.allowed_value)


def test_parameters_have_normalised_types_and_descriptions(built_env):
    parameters = query(
        "select parameter, normalized_type, description, default_repr from marts.registry_parameters "
        "where symbol = 'neuralforecast.models.nhits.NHITS.__init__'"
    ).set_index("parameter")
    assert parameters.loc["h", "normalized_type"] == "int"
    assert parameters.loc["learning_rate", "normalized_type"] == "float"
    assert parameters.loc["loss", "default_repr"] == "MAE()"
    assert "Learning rate" in parameters.loc["learning_rate", "description"]


def test_rescanning_the_same_environment_is_a_no_op(built_env):
    before = query("select count(*) as rows from raw.registry_parameters").rows.iloc[0]
    result = run_fcast("registry", "scan", env=built_env)
    assert "already scanned (no-op)" in result.stdout
    assert query("select count(*) as rows from raw.registry_parameters").rows.iloc[0] == before


@pytest.mark.fast
def test_another_library_scans_through_its_plug_in(duckdb_env):
    result = run_fcast("registry", "scan", "utilsforecast", env=duckdb_env)
    assert "utilsforecast: scanned" in result.stdout
    with db.connect(read_only=True) as warehouse:
        kinds = dict(warehouse.fetchall("select kind, count(*) from raw.registry_symbols group by kind"))
        status = warehouse.fetchall("select status from raw.registry_environments")
    assert kinds["module"] > 3 and kinds["function"] > 10
    assert status == [("scanned",)]


# --- the pure parsing helpers ----------------------------------------------------------------------


@pytest.mark.fast
def test_google_and_numpy_docstrings_are_parsed():
    google = parse_docstring("""Model.

    Args:
        h (int): Forecast horizon.
        scaler_type (str, optional): Scaler. Available [`identity`, `standard`].
            Second line.

    Returns:
        Model: the model.
    """)
    assert google["h"] == ("int", "Forecast horizon.")
    assert google["scaler_type"][1].endswith("Second line.")
    numpy = parse_docstring("""Do it.

    Parameters
    ----------
    season_length : int
        Number of observations per unit of time.
    """)
    assert numpy["season_length"] == ("int", "Number of observations per unit of time.")


@pytest.mark.fast
@pytest.mark.parametrize(
    ("annotation", "doc_type", "default", "expected"),
    [
        ("Optional[int]", "", None, ("optional[int]", "annotation")),
        ("int | None", "", None, ("optional[int]", "annotation")),
        ("Union[str, int]", "", None, ("union[str, int]", "annotation")),
        ("List[float]", "", None, ("list[float]", "annotation")),
        ("pd.DataFrame", "", None, ("DataFrame", "annotation")),
        ("", "str, optional", None, ("str", "docstring")),
        ("", "", 0.5, ("float", "default")),
        ("", "", None, ("unknown", "none")),
    ],
)
def test_types_are_normalised(annotation, doc_type, default, expected):
    assert normalize_type(annotation, doc_type, default, default is not None) == expected


@pytest.mark.fast
def test_documented_option_lists_and_library_checks():
    assert documented_options("pooling from ['MaxPool1d', 'AvgPool1d'].") == ["MaxPool1d", "AvgPool1d"]
    assert documented_options("Can be 'standard', 'robust' or 'minmax'.") == ["standard", "robust", "minmax"]

    def scaler(kind="robust", mode="a"):
        choices = {"robust": 1, "standard": 2}
        assert kind in choices
        if mode not in ["a", "b"]:
            raise ValueError(mode)

    assert LibraryChecks().membership_checks(scaler) == {"kind": ["robust", "standard"], "mode": ["a", "b"]}
