"""A run's series go to Parquet as NumPy columns when they are numeric (pyarrow's
from_pandas cost half of keeping a run), with the values and types from_pandas gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from fentanet.store import RunRecord, new_id, write_run
from fentanet.store.files import read_series, series_table


def frames() -> list[pd.DataFrame]:
    rng = np.random.default_rng(3)
    numeric = pd.DataFrame({"step": np.arange(5), "time": np.arange(5) / 52,
                            "deaths": rng.poisson(3, 5).astype(float),
                            "labs": np.arange(5, dtype=np.int32), "ok": [True] * 5,
                            "empty": np.full(5, np.nan)})
    mixed = numeric.assign(note=list("abcde"))  # a text column: through from_pandas
    return [numeric, mixed, numeric.iloc[:0]]


@pytest.mark.parametrize("df", frames(), ids=["numeric", "mixed", "no rows"])
def test_series_table_equals_from_pandas(df, tmp_path):
    table = series_table(df)
    reference = pa.Table.from_pandas(df, preserve_index=False)
    assert table.column_names == reference.column_names
    assert table.schema.types == reference.schema.types
    assert table.to_pandas().equals(reference.to_pandas())
    rec = write_run(tmp_path, RunRecord(run_id=new_id(), scenario="toy", seed=1), df)
    back = read_series(tmp_path, rec.run_id, rec.series_path, rec.series_sha256).to_pandas()
    pd.testing.assert_frame_equal(back, df.reset_index(drop=True))


def test_a_real_run_keeps_every_value_and_type(tmp_path):
    import fentanet

    series = fentanet.simulate("toy", seed=2, years=0.2).series
    assert series_table(series).schema.metadata is None  # the NumPy path was taken
    rec = write_run(tmp_path, RunRecord(run_id=new_id(), scenario="toy", seed=2), series)
    back = read_series(tmp_path, rec.run_id, rec.series_path, rec.series_sha256).to_pandas()
    pd.testing.assert_frame_equal(back, series)
