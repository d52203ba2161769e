"""Every text file a user gives (scenario, generator spec, calibration target) is read by
one helper (fentanet.network.textfile.read_text): a file that is not UTF-8 or is binary is
an InputError naming the file, the line and the byte, as the network readers say it; the
CLI prints one line and exits 2 (the audit s11/audit-runs, finding 2)."""

from __future__ import annotations

import pytest

import fentanet
from fentanet.calibrate.targets import read_target
from fentanet.cli import main
from fentanet.errors import InputError
from fentanet.network.generator import read_spec
from fentanet.network.textfile import read_text

LATIN1 = b"name: toy\ndescription: caf\xe9\n"          # 0xe9 on line 2: Latin-1, not UTF-8
BINARY = b"name: toy\nyears: 1\n\x00\x01\x02"             # a NUL byte on line 3


def test_the_helper_names_the_line_and_byte(tmp_path):
    bad = tmp_path / "u.txt"
    bad.write_bytes(LATIN1)
    with pytest.raises(InputError) as info:
        read_text(bad, expected="a thing")
    assert str(info.value) == (f"{bad}:2: not UTF-8 text (byte 0xe9); expected a text file "
                               "saved as UTF-8")
    bad.write_bytes(BINARY)
    with pytest.raises(InputError) as info:
        read_text(bad, expected="a thing")
    assert str(info.value) == f"{bad}:3: binary content (a NUL byte); expected a thing"
    # a UTF-8 byte-order mark is dropped, UTF-16 with its mark is converted
    bad.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_text(bad, expected="a thing") == "a: 1\n"
    bad.write_bytes("a: é\n".encode("utf-16"))
    assert read_text(bad, expected="a thing") == "a: é\n"
    with pytest.raises(InputError, match=r"is a folder; expected a thing$"):
        read_text(tmp_path, expected="a thing")


def test_a_scenario_not_utf8_or_binary_is_an_input_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(LATIN1)
    with pytest.raises(InputError, match=r"latin1\.yaml:2: not UTF-8 text \(byte 0xe9\)"):
        fentanet.simulate(str(path))
    path.write_bytes(BINARY)
    with pytest.raises(InputError, match=r"latin1\.yaml:3: binary content \(a NUL byte\); "
                                         r"expected a YAML scenario$"):
        fentanet.ensemble(str(path), runs=1, scheduler="serial", store=tmp_path / "st")
    assert not (tmp_path / "st").exists()


@pytest.mark.parametrize("command", [["scenario", "show", "{file}"],
                                     ["simulate", "{file}", "--store", "{tmp}/st"]])
def test_the_cli_prints_one_line_and_exits_2(tmp_path, capsys, command):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(LATIN1)
    code = main([a.format(file=path, tmp=tmp_path) for a in command])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (f"error: {path}:2: not UTF-8 text (byte 0xe9); expected a text file "
                   "saved as UTF-8\n")


def test_a_generator_spec_names_the_line_and_byte(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"actors: 300\nregions: 2\n# r\xe9gions\n")
    with pytest.raises(InputError, match=r"spec\.yaml:3: not UTF-8 text \(byte 0xe9\)"):
        read_spec(spec)


def test_a_calibration_target_names_the_line_and_byte(tmp_path):
    target = tmp_path / "deaths.csv"
    target.write_bytes(b"year,deaths\n2013,100\n2014,caf\xe9\n")
    with pytest.raises(InputError) as info:
        read_target(target, value="deaths", series="deaths")
    # pandas said "position 3" (of its buffer); the line and the byte are what helps
    assert str(info.value) == (f"{target}:3: not UTF-8 text (byte 0xe9); expected a text "
                               "file saved as UTF-8")
    target.write_bytes(b"year,deaths\n2013,1\x00\n")
    with pytest.raises(InputError, match=r"deaths\.csv:2: binary content \(a NUL byte\); "
                                         "expected a CSV of observations"):
        read_target(target, value="deaths", series="deaths")
    # a UTF-8 file with a byte-order mark, as spreadsheets save it, still reads
    target.write_bytes(b"\xef\xbb\xbfyear,deaths\n2013,100\n2014,120\n")
    assert list(read_target(target, value="deaths", series="deaths").observed) == [100, 120]
