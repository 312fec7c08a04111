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


def test_a_fit_written_twice_gives_the_same_bytes_without_the_run_stamps(tmp_path):
    """The sampler stamps when and how long it ran on the posterior; the model file leaves
    those out, so the same posterior written at two times gives the same bytes (and DVC
    re-runs nothing downstream of a fit that came out the same). The caller's tree keeps them."""
    import numpy as np
    import xarray as xr

    def fit(stamp: str, seconds: float) -> xr.DataTree:
        post = xr.Dataset(
            {"a": (("chain", "draw"), np.arange(6.0).reshape(2, 3))},
            attrs={"created_at": stamp, "sampling_time": seconds, "inference_library": "pymc"},
        )
        return xr.DataTree.from_dict({"posterior": post})

    first, second = fit("2026-12-07T09:00:00", 180.5), fit("2026-12-07T10:00:00", 183.0)
    io.write_netcdf(first, tmp_path / "a.nc")
    io.write_netcdf(second, tmp_path / "b.nc")
    assert (tmp_path / "a.nc").read_bytes() == (tmp_path / "b.nc").read_bytes()
    back = xr.open_datatree(tmp_path / "a.nc")
    assert dict(back["posterior"].attrs) == {"inference_library": "pymc"}
    assert first["posterior"].attrs["created_at"] == "2026-12-07T09:00:00"
    # a different posterior still gives other bytes
    other = fit("2026-12-07T09:00:00", 1.0)
    other["posterior"]["a"] = other["posterior"]["a"] + 1
    io.write_netcdf(other, tmp_path / "c.nc")
    assert (tmp_path / "c.nc").read_bytes() != (tmp_path / "a.nc").read_bytes()
