"""Whatever a config file holds, loading it gives a config or a `ConfigError` whose every
problem is `file:line: key.path: message`: never another exception, never a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.app.config import load_config
from gateway.core.configfile import MAX_ALIASED_NODES, ConfigError
from tests.fuzz import BOUNDED, binary, text
from tests.fuzz.config_files import LINES, config_of, load, neighbours

YAMLISH = st.lists(st.sampled_from([
    "{", "}", "[", "]", ": ", "- ", ",", "&a ", "*a", "!include rules.yaml", "!file secret.txt",
    "!include folder", "!file latin1.bin", "!path x", "!!timestamp ", "!!int ", "!!binary ",
    "!!python/object ", "${HOME}", "${NOPE}", "${X:-y}", "null", "true", "1e999", "-1", "0x1F",
    "2026-13-01", "'", '"', "\t", "\n", "\x07", "id", "zone", "type", "panic_button", "a3",
    "gate", "\u2028", "#"]), max_size=12).map("".join)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = tmp_path_factory.mktemp("config-fuzz")
    neighbours(made)
    return made


@BOUNDED
@given(st.integers(0, len(LINES) - 1), YAMLISH | text(40))
def test_the_school_with_any_value_anywhere(folder: Path, line: int, value: str) -> None:
    load(folder, config_of(bytes([line * 2 % 256]) + value.encode("utf-8", "surrogatepass")))


@BOUNDED
@given(YAMLISH | text(200))
def test_any_text_as_a_config(folder: Path, text: str) -> None:
    load(folder, text)


@BOUNDED
@given(binary(300))
def test_any_bytes_as_a_config(folder: Path, data: bytes) -> None:
    load(folder, data)


def _problems(folder: Path, text: str | bytes) -> list[str]:
    path = folder / "found.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return raised.value.problems


@pytest.mark.parametrize(("text", "problem"), [
    ("a: &a [1, *a]\n", "found.yaml:1: a[1]: an alias refers to a value that holds it"),
    ("site: {id: s}\nwhen: !!timestamp 2026-13-01\n",
     "found.yaml:2: when: not a valid timestamp: month must be in 1..12"),
    ("a: !!timestamp 20--0621\n", "found.yaml:1: a: not a valid timestamp"),
    ("a: !!int twelve\n", "found.yaml:1: a: not a valid int"),
    ("a: 1\nb: !vendor x\n",
     "found.yaml:2: b: could not determine a constructor for the tag '!vendor'"),
    ("a: 1\nb: \x07\n", "found.yaml:2: (top): YAML syntax: unacceptable character #x0007"),
    (b"a: caf\xe9\n", "found.yaml:0: (top): cannot read: not UTF-8 text (byte 6)"),
    ("token: !file latin1.bin\n", "found.yaml:1: token: cannot read"),
    ("a: " + "[" * 600 + "]" * 600 + "\n", "found.yaml:0: (top): nested too deeply"),
    ("zones: [{id: {a: 1}}, {id: [1]}]\ndevices: [{id: {b: 2}, zone: nowhere}]\n",
     "found.yaml:2: devices[0].zone: unknown zone 'nowhere'"),
])
def test_what_used_to_escape_the_loader_is_a_problem_at_its_line(
        folder: Path, text: str | bytes, problem: str) -> None:
    problems = _problems(folder, text)
    assert any(p.partition("found.yaml")[2].startswith(problem.partition("found.yaml")[2])
               for p in problems), problems


def test_aliases_that_expand_without_end_are_refused_quickly(folder: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    started = time.monotonic()
    problems = _problems(folder, "\n".join(lines) + "\n")
    assert time.monotonic() - started < 5
    assert any(f"aliases repeat more than {MAX_ALIASED_NODES:,} values" in p for p in problems)


def test_a_key_with_a_line_break_is_named_on_one_line(folder: Path) -> None:
    problems = _problems(folder, 'zones:\n  - {id: a, name: A, "sever\\nity": 1}\n')
    assert any(p.endswith(": zones[0]['sever\\nity']: unknown key") for p in problems), problems
    assert all("\n" not in p for p in problems)
