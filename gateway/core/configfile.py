"""YAML loading that remembers where every key came from.

Every problem is reported as `file:line: key.path: message`, all at once. Strings may
reference the environment as `${NAME}` or `${NAME:-default}`; `!file path` reads a secret
from a file, `!include path` reads a YAML document from another file and `!path path`
names a file (paths relative to the file that names them).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gateway.core.config import Loc

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """Config that cannot be used; `problems` are `file:line: key.path: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


MAX_ALIASED_NODES = 100_000
"""Values that aliases (`*name`) may repeat in all: a few shared snippets are far below
it; a document built to expand without end (a "billion laughs") is refused."""


class _Expanding(Exception):
    """The aliases of a document repeat more than `MAX_ALIASED_NODES` values."""


class _Origins:
    """Where each path of the loaded document was written: (file, line); only `placed`
    origins note them (the problems found while loading say their lines either way)."""

    def __init__(self, placed: bool = True) -> None:
        self.places: dict[Loc, tuple[str, int]] = {}
        self.problems: list[str] = []
        self.aliased = 0
        self._placed = placed

    def note(self, path: Loc, file: str, node: yaml.Node) -> None:
        if self._placed:
            self.places[path] = (file, node.start_mark.line + 1)

    def problem(self, file: str, node: yaml.Node, path: Loc, message: str) -> None:
        self.problems.append(f"{file}:{node.start_mark.line + 1}: {_dotted(path)}: {message}")

    def where(self, path: Loc) -> tuple[str, int]:
        for end in range(len(path), -1, -1):
            if path[:end] in self.places:
                return self.places[path[:end]]
        return ("?", 0)


def _dotted(path: Loc) -> str:
    text = ""
    for part in path:
        if isinstance(part, int) or not part.isprintable():  # a key with a line break
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else part
    return text or "(top)"


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML has it: a site of 10,000 devices parses in a second, not
ten; the nodes carry their lines alike."""


def load_yaml(path: Path, placed: bool = True) -> tuple[Any, _Origins]:
    """Parse `path` into plain data and (when `placed`) the origin of every key."""
    origins = _Origins(placed)
    try:
        data = _load_file(path, (), origins, set())
    except RecursionError:
        origins.problems.append(f"{path}:0: (top): nested too deeply")
        data = None
    except _Expanding:  # said where it happened
        data = None
    return data, origins


def _load_file(path: Path, at: Loc, origins: _Origins, seen: set[Path],
               list_index: int | None = None) -> Any:
    """The document in `path`, placed at `at`; if it is named as item `list_index` of the
    list at `at`, a list it holds continues that list and anything else is that item."""
    file = str(path)
    text = _read_text(path, lambda why: origins.problems.append(
        f"{file}:0: {_dotted(at)}: cannot read: {why}"))
    if text is None:
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        # An unclosed bracket or quote, or a key without its colon, is noticed lines later:
        # the line to fix is where it began.
        mark = (exc.context_mark if exc.context in _STARTED_AT else None) or exc.problem_mark
        line = mark.line + 1 if mark else 0
        origins.problems.append(f"{file}:{line}: {_dotted(at)}: YAML syntax: {exc.problem}")
        return None
    except yaml.reader.ReaderError as exc:  # a control character
        line = text.count("\n", 0, exc.position) + 1
        origins.problems.append(f"{file}:{line}: {_dotted(at)}: YAML syntax: unacceptable "
                                f"character #x{exc.character:04x}: {exc.reason}")
        return None
    finally:
        loader.dispose()
    if node is None:
        return {}
    builder = _Builder(path, origins, seen | {path.resolve()}, loader)
    if list_index is None:
        return builder.build(node, at)
    if isinstance(node, yaml.SequenceNode):
        return builder.build(node, at, list_index)
    return builder.build(node, (*at, list_index))


def _read_text(path: Path, cannot: Callable[[str], None]) -> str | None:
    """The UTF-8 text of `path`, or None after telling `cannot` why not."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        cannot(str(exc.strerror or exc))
    except UnicodeDecodeError as exc:
        cannot(f"not UTF-8 text (byte {exc.start})")
    return None


class _Builder:
    def __init__(self, path: Path, origins: _Origins, seen: set[Path],
                 loader: yaml.SafeLoader) -> None:
        self.path = path
        self.file = str(path)
        self.origins = origins
        self.seen = seen
        self.loader = loader
        self._built: set[int] = set()  # nodes already built once: aliases repeat them
        self._open: set[int] = set()  # nodes being built, to find an alias inside itself

    def build(self, node: yaml.Node, path: Loc, first_index: int = 0) -> Any:
        self.origins.note(path, self.file, node)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self._collection(node, path, first_index)
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == "!file":
            return self._file(node, path)
        if node.tag == "!include":
            return self._include(node, path)
        if node.tag == "!path":
            return str(self._relative(node))
        value = self._construct(node, path)
        return self._environment(value, node, path) if isinstance(value, str) else value

    def _collection(self, node: yaml.MappingNode | yaml.SequenceNode, path: Loc,
                    first_index: int) -> Any:
        key = id(node)
        if key in self._open:
            self.origins.problem(self.file, node, path, "an alias refers to a value that "
                                                        "holds it")
            return None
        if key in self._built:
            self.origins.aliased += len(node.value)
            if self.origins.aliased > MAX_ALIASED_NODES:
                self.origins.problem(self.file, node, path, "aliases repeat more than "
                                     f"{MAX_ALIASED_NODES:,} values")
                raise _Expanding
        self._built.add(key)
        self._open.add(key)
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return self._sequence(node, path, first_index)
        finally:
            self._open.discard(key)

    def _construct(self, node: yaml.Node, path: Loc) -> Any:
        """A plain value; None after a problem (an unknown tag, an impossible date)."""
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.origins.problem(self.file, node, path, str(exc.problem))
        except Exception as exc:  # PyYAML's constructors of explicit tags
            # (`!!timestamp 2026-13-01`, `!!int x`) fail with whatever their parsing raised
            kind = node.tag.rpartition(":")[2]
            self.origins.problem(self.file, node, path, f"not a valid {kind}"
                                 + (f": {exc}" if isinstance(exc, ValueError) else ""))
        return None

    def _mapping(self, node: yaml.MappingNode, path: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._construct(key_node, path)
            if key is None:
                continue
            if not isinstance(key, str | int | bool | float):
                self.origins.problem(self.file, key_node, path, "keys must be plain names")
                continue
            key = str(key)
            if key in result:
                self.origins.problem(self.file, key_node, (*path, key), "duplicate key")
                continue
            result[key] = self.build(value_node, (*path, key))
            self.origins.note((*path, key), self.file, key_node)
        return result

    def _sequence(self, node: yaml.SequenceNode, path: Loc, first_index: int) -> list[Any]:
        """Items in order; an `!include` item whose file holds a list is spliced in."""
        items: list[Any] = []
        for item in node.value:
            index = first_index + len(items)
            if isinstance(item, yaml.ScalarNode) and item.tag == "!include":
                included = self._include(item, path, index)
                if isinstance(included, list):
                    items += included
                    continue
                items.append(included)
                continue
            items.append(self.build(item, (*path, index)))
        return items

    def _relative(self, node: yaml.ScalarNode) -> Path:
        return (self.path.parent / str(node.value)).resolve()

    def _file(self, node: yaml.ScalarNode, path: Loc) -> str | None:
        target = self._relative(node)
        text = _read_text(target, lambda why: self.origins.problem(
            self.file, node, path, f"cannot read {target}: {why}"))
        return None if text is None else text.strip()

    def _include(self, node: yaml.ScalarNode, path: Loc, list_index: int | None = None) -> Any:
        target = self._relative(node)
        if target in self.seen:
            self.origins.problem(self.file, node, path, f"{target} includes itself")
            return None
        if not target.is_file():  # said where the include is written, not in the file
            where = path if list_index is None else (*path, list_index)
            self.origins.problem(self.file, node, where,
                                 f"!include {node.value}: no such file ({target})")
            return None
        return _load_file(target, path, self.origins, self.seen, list_index)

    def _environment(self, value: str, node: yaml.ScalarNode, path: Loc) -> str:
        if "${" not in value:
            return value

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name not in os.environ and default is not None:
                return default
            if name not in os.environ:
                self.origins.problem(self.file, node, path,
                                     f"environment variable {name} is not set")
                return ""
            return os.environ[name]

        return _ENV_REF.sub(substitute, value)


def _holds(data: Any, part: Any) -> bool:
    if isinstance(data, dict):
        return isinstance(part, str) and part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)


def _data_path(data: Any, loc: tuple[Any, ...]) -> Loc:
    """The part of pydantic's `loc` that exists in the data (union tags dropped)."""
    path: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        if _holds(current, part):
            current = current[part]
            path.append(part)
        elif i == len(loc) - 1 and isinstance(part, str) and isinstance(current, dict):
            path.append(part)  # a missing or unknown key
    return tuple(path)


M = TypeVar("M", bound=BaseModel)

Place = Callable[[Loc], str]
"""Names where a config path was written: `file:line: key.path`."""


def load_model(path: Path | str, model: type[M],
               also: Callable[[dict[str, Any]], list[tuple[Loc, str]]] | None = None
               ) -> tuple[M, Place]:
    """Any YAML document validated as `model`, with problems at their file and line; when
    the schema fails, the problems `also` finds in the plain data are said with them.

    The line of every key is noted only once a problem needs one (the file is read again
    then): a valid config of 10,000 devices loads without 200,000 origins to keep."""
    path = Path(path)
    data, origins = load_yaml(path, placed=False)
    if origins.problems:
        raise ConfigError(origins.problems)
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: (top): expected a mapping"])
    placed: list[_Origins] = []

    def place(where: Loc) -> str:
        if not placed:
            placed.append(load_yaml(path)[1])
        file, line = placed[0].where(where)
        return f"{file}:{line}: {_dotted(where)}"

    try:
        return model.model_validate(data), place
    except RecursionError:
        raise ConfigError([f"{path}:0: (top): nested too deeply"]) from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            problems.append(f"{place(_data_path(data, error['loc']))}: {_said(error)}")
        if also is not None:
            problems += [f"{place(where)}: {message}" for where, message in also(data)]
        raise ConfigError(sorted(_unique(problems), key=_by_line)) from None


def _by_line(problem: str) -> tuple[str, int]:
    """`file:line: ...` in the order of the files and their lines."""
    file, _, rest = problem.partition(":")
    line = rest.partition(":")[0]
    return file, int(line) if line.isdigit() else 0


_STARTED_AT = frozenset({"while scanning a simple key", "while parsing a flow sequence",
                         "while parsing a flow mapping", "while scanning a quoted scalar"})


def _said(error: Any) -> str:
    """A validation error as a person would put it."""
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "union_tag_invalid":
        tag = str(error["ctx"]["tag"])
        known = [t.strip(" '") for t in str(error["ctx"]["expected_tags"]).split(",")]
        return f"unknown type {tag!r}{did_you_mean(tag, known)}; known: {', '.join(known)}"
    return str(error["msg"])


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest of `known`, or nothing."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))
