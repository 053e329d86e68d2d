"""The packaged sample is the repository's ``user_data/``, byte for byte."""

from pathlib import Path

import pytest

from freqtrade_bybit_margin.demo.bot_runner import REPO_USER_DATA
from freqtrade_bybit_margin.demo.sample import (
    CONFIG,
    SAMPLE_DATA,
    STRATEGY_FILES,
    install_sample,
    sample_config,
)


USER_DATA = Path(__file__).resolve().parents[2] / "user_data"


@pytest.mark.parametrize("name", [CONFIG, *STRATEGY_FILES])
def test_packaged_sample_is_identical_to_user_data(name: str) -> None:
    packaged = SAMPLE_DATA.joinpath(*name.split("/")).read_bytes()
    assert packaged == (USER_DATA / name).read_bytes(), (
        f"freqtrade_bybit_margin/demo/data/{name} and user_data/{name} differ: copy one over "
        "the other"
    )


def test_user_data_has_no_file_the_package_lacks() -> None:
    shipped = {CONFIG, *STRATEGY_FILES}
    in_repo = {
        str(path.relative_to(USER_DATA))
        for path in USER_DATA.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert in_repo == shipped


def test_install_sample_writes_a_user_data_folder(tmp_path: Path) -> None:
    folder = install_sample(tmp_path / "sample")

    assert (folder / CONFIG).read_bytes() == (USER_DATA / CONFIG).read_bytes()
    for name in STRATEGY_FILES:
        assert (folder / name).is_file()
    assert sample_config()["bybit_margin"]["pair_leverage"] == {"BTC/USDT:USDT": 5, "ETH/.*": 4}
    # The name test_e2e.py imports still points at the sample.
    assert (REPO_USER_DATA / CONFIG).read_text() == (USER_DATA / CONFIG).read_text()
