"""Five-column Matsubara tables: the two layouts in use are told apart, or refused."""

import numpy as np
import pytest

from specinv.core.errors import InputError
from specinv.io.qmc import matsubara_columns, read_matsubara_input

WN = (2 * np.arange(6) + 1) * np.pi / 5.0
RE = -0.1 / (1 + WN ** 2)
IM = -WN / (1 + WN ** 2)
E1, E2 = np.full(6, 1e-4), np.full(6, 2e-4)


@pytest.mark.parametrize("layout, table", [
    ("omega_n,Re,Im,err_Re,err_Im", np.c_[WN, RE, IM, E1, E2]),
    ("omega_n,Re,err_Re,Im,err_Im", np.c_[WN, RE, E1, IM, E2]),
])
def test_both_five_column_layouts_read_the_same_function(layout, table, tmp_path):
    path = tmp_path / "g.dat"
    np.savetxt(path, table)
    data = read_matsubara_input(path)
    np.testing.assert_array_equal(data.values, RE)
    np.testing.assert_array_equal(data.imag, IM)
    np.testing.assert_array_equal(data.error, E2)  # the larger of the two error columns
    assert data.info["column_order"] == layout


def test_a_five_column_table_with_no_telling_layout_is_refused():
    # every column after ω_n positive: both layouts fit, so neither is guessed
    table = np.c_[WN, -RE, E1, -IM, E2]
    with pytest.raises(InputError, match="layout cannot be told"):
        matsubara_columns(table, "g.dat")
