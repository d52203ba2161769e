"""A scalar option given twice on the command line is refused, naming both values: click
keeps the last value without a word (`--years 1 --years 2` ran 2 years, `--seed 1 --seed 5`
ran seeds 5..), while README promises that no value replaces another without a word.
Options that take several values (``--set``, ``--measure``, ...) stay repeatable."""

from __future__ import annotations

import pytest
import typer

from fentanet.cli import app, main


def _commands(group, path=()):
    """(path, click command) for every command of the CLI, subgroups included."""
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


ROOT = typer.main.get_command(app)
SCALARS = [
    (path, opt) for path, cmd in _commands(ROOT)
    for opt in cmd.params
    if opt.param_type_name == "option" and not opt.multiple and opt.name != "help"
]


def _spelled(opt, which: int) -> list[str]:
    """The option given a value (two different ones for which = 0, 1)."""
    if opt.is_flag:
        names = [*opt.opts, *opt.secondary_opts]
        return [names[which % len(names)]]
    return [opt.opts[-1 if which else 0], ("7", "9")[which]]


def test_every_command_is_checked():
    assert len(SCALARS) > 100
    assert {p for p, _ in SCALARS} >= {("simulate",), ("compare",), ("resilience",),
                                       ("runs", "export"), ("scenario", "show")}


@pytest.mark.parametrize(("path", "opt"), SCALARS,
                         ids=[f"{' '.join(p)} {o.opts[0]}" for p, o in SCALARS])
def test_a_scalar_option_given_twice_is_refused(capsys, tmp_path, monkeypatch, path, opt):
    monkeypatch.chdir(tmp_path)  # nothing the command might write lands elsewhere
    first, second = _spelled(opt, 0), _spelled(opt, 1)
    code = main([*path, *first, *second])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert err == (f"error: field '{opt.opts[0]}': given twice ({' '.join(first)} and "
                   f"{' '.join(second)}); give it once\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "toy", "--years", "1", "--years=2"],
     "field '--years': given twice (--years 1 and --years 2); give it once"),
    (["compare", "toy", "naloxone", "-n", "2", "--seed", "1", "--runs", "3", "--seed", "5"],
     "field '--runs': given twice (-n 2 and --runs 3); field '--seed': given twice "
     "(--seed 1 and --seed 5); give each once"),
    (["resilience", "x.csv", "--strategy", "degree", "--steps", "2", "--steps", "4",
      "--steps", "2"],
     "field '--steps': given 3 times (--steps 2, --steps 4 and --steps 2); give it once"),
    (["runs", "delete", "-y", "--yes"],
     "field '--yes': given twice (-y and --yes); give it once"),
    (["info", "x.csv", "--directed", "--undirected"],
     "field '--directed': given twice (--directed and --undirected); give it once"),
    (["simulate", "toy", "--store", "my runs", "--store", "b"],
     "field '--store': given twice (--store 'my runs' and --store b); give it once"),
])
def test_the_message_names_the_option_and_both_values(capsys, argv, message):
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2
    assert err == f"error: {message}\n"


def test_repeatable_options_and_values_that_look_like_options_stay(capsys, tmp_path):
    """`--set a=1 --set b=2` is two settings; a value may begin with '-' or be an option's
    name; after `--` nothing is an option."""
    net = tmp_path / "net.csv"
    net.write_text("source,target\na,b\nb,c\nc,d\n")
    code = main(["resilience", str(net), "--strategy", "list", "--actors", "b",
                 "--measure", "lcc", "--measure", "components", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert '"components": 2' in out
    code = main(["generate", "--to", "csv", "--seed", "--seed", "--", "--seed"])
    _, err = capsys.readouterr()
    assert code == 2 and "given twice" not in err  # '--seed' is not a number: click says so
    assert "Invalid value for '--seed'" in err
