import pandas as pd
import pytest

from musicmarkets import io


def test_failed_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "x.json"
    io.write_json({"a": 1}, target)
    with pytest.raises(TypeError):
        io.write_json({"a": object()}, target)
    assert io.read_json(target) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary left behind


def test_parquet_round_trip_is_byte_stable(tmp_path):
    df = pd.DataFrame({"m": ["de", "gb"], "v": [1.5, 2.5]})
    io.write_parquet(df, tmp_path / "a.parquet")
    io.write_parquet(df, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), df)
