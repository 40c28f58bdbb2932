from __future__ import annotations

import json
from pathlib import Path

import pytest
from ignite.engine import Engine
from monai.handlers import MLFlowHandler
from monai.utils import path_to_sqlite_uri

from metakd_ext.handlers import TrackingParams, tracking_handlers

mlflow = pytest.importorskip("mlflow")


def _engine() -> Engine:
    return Engine(lambda engine, batch: {"loss": 1.0})


def test_logs_the_settings_and_the_newest_config_into_the_tracking_run(tmp_path: Path) -> None:
    (tmp_path / "config_20260101_000000.json").write_text("{}")
    newest = tmp_path / "config_20260102_000000.json"
    newest.write_text('{"kd_weight": 0.1}')
    engine = _engine()
    TrackingParams({"method": "metakd", "roi_size": [32, 32, 32], "kd_weight": 0.1}, config_dir=str(tmp_path)).attach(
        engine
    )
    uri = path_to_sqlite_uri(str(tmp_path / "mlruns.db"))
    MLFlowHandler(tracking_uri=uri, experiment_name="e", iteration_log=False, epoch_log=False).attach(engine)
    engine.run([0, 1], max_epochs=2)
    client = mlflow.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("e").experiment_id])
    params = run.data.params
    assert params["method"] == "metakd" and params["kd_weight"] == "0.1"
    assert json.loads(params["roi_size"]) == [32, 32, 32]
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == [newest.name]


def test_without_tracking_nothing_is_logged_and_nothing_fails(tmp_path: Path) -> None:
    engine = _engine()
    TrackingParams({"method": "nokd"}, config_dir=str(tmp_path)).attach(engine)
    assert tracking_handlers(engine) == []
    engine.run([0], max_epochs=1)
    assert not (tmp_path / "mlruns.db").exists()


def test_needs_a_setting() -> None:
    with pytest.raises(ValueError, match="`params` must name at least one setting"):
        TrackingParams({})
