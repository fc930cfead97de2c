"""Generic introspection of an installed library: modules, classes, functions, methods, parameters.

Runs inside the scan worker, possibly under another interpreter: standard library only.
Each parameter gets a normalised type, its docstring description, and allowed values derived from
Literal annotations, documented option lists and the library's own membership checks.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 2000
_PUBLIC_DUNDERS = ("__init__", "__call__")


@dataclass
class ScanRows:
    """Rows per raw registry table, each a dict keyed by column name (env_key and library added later)."""

    symbols: list[dict] = field(default_factory=list)
    parameters: list[dict] = field(default_factory=list)
    allowed_values: list[dict] = field(default_factory=list)
    model_capabilities: list[dict] = field(default_factory=list)
    losses: list[dict] = field(default_factory=list)
    model_losses: list[dict] = field(default_factory=list)
    search_spaces: list[dict] = field(default_factory=list)
    foundation_capabilities: list[dict] = field(default_factory=list)
    _allowed_keys: set[tuple[str, str, str, str]] = field(default_factory=set, repr=False)

    def add_allowed(self, symbol: str, parameter: str, values: list[Any], source: str) -> None:
        for value in values:
            text = clip(_value_text(value), 300)
            if text and (symbol, parameter, text, source) not in self._allowed_keys:
                self._allowed_keys.add((symbol, parameter, text, source))
                self.allowed_values.append(
                    {"symbol": symbol, "parameter": parameter, "allowed_value": text, "value_source": source}
                )


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def as_tables(rows: ScanRows) -> dict[str, list[dict]]:
    return {name: value for name, value in vars(rows).items() if not name.startswith("_")}


def clip(text: str | None, limit: int = MAX_TEXT) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- modules and symbols -------------------------------------------------------------------------


def iter_modules(package_name: str) -> Iterator[tuple[str, Any, str]]:
    """(module name, module or None, import error) for the package and every submodule."""
    try:
        package = importlib.import_module(package_name)
    except BaseException as error:
        yield package_name, None, f"{type(error).__name__}: {error}"
        return
    yield package_name, package, ""
    if not hasattr(package, "__path__"):
        return
    for info in sorted(pkgutil.walk_packages(package.__path__, prefix=package_name + "."), key=lambda i: i.name):
        try:
            module = importlib.import_module(info.name)
        except BaseException as error:
            yield info.name, None, clip(f"{type(error).__name__}: {error}", 500)
            continue
        yield info.name, module, ""


def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return clip(doc.strip().split("\n\n")[0].replace("\n", " "), 300)


def _is_public(name: str) -> bool:
    return not name.startswith("_") or name in _PUBLIC_DUNDERS


def scan_library(package_name: str, rows: ScanRows) -> None:
    """Fill symbols, parameters and allowed values for every module of the package."""
    checks = LibraryChecks()
    for module_name, module, error in iter_modules(package_name):
        rows.symbols.append(_symbol_row(module_name, module_name, "", "module", "", True, _summary(module), error))
        if module is None:
            continue
        for name, obj in sorted(vars(module).items()):
            if getattr(obj, "__module__", None) != module_name:
                continue
            if inspect.isclass(obj):
                _scan_class(module_name, obj, rows, checks)
            elif inspect.isfunction(obj):
                symbol = f"{module_name}.{name}"
                rows.symbols.append(
                    _symbol_row(symbol, module_name, name, "function", module_name, _is_public(name), _summary(obj), "")
                )
                if _is_public(name):
                    scan_parameters(symbol, obj, rows, checks, docstring=inspect.getdoc(obj))


def _symbol_row(symbol, module, qualname, kind, parent, public, summary, error) -> dict:
    return {
        "symbol": symbol,
        "module": module,
        "qualname": qualname or module,
        "kind": kind,
        "parent_symbol": parent,
        "is_public": bool(public),
        "summary": summary,
        "import_error": error,
    }


def _scan_class(module_name: str, cls: type, rows: ScanRows, checks: LibraryChecks) -> None:
    class_symbol = f"{module_name}.{cls.__qualname__}"
    rows.symbols.append(
        _symbol_row(
            class_symbol,
            module_name,
            cls.__qualname__,
            "class",
            module_name,
            _is_public(cls.__name__),
            _summary(cls),
            "",
        )
    )
    class_doc = inspect.getdoc(cls) or ""
    for name, member in sorted(vars(cls).items()):
        function = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
        if isinstance(member, property):
            rows.symbols.append(
                _symbol_row(
                    f"{class_symbol}.{name}",
                    module_name,
                    f"{cls.__qualname__}.{name}",
                    "property",
                    class_symbol,
                    _is_public(name),
                    _summary(member),
                    "",
                )
            )
            continue
        if not inspect.isfunction(function):
            continue
        symbol = f"{class_symbol}.{name}"
        public = _is_public(name)
        rows.symbols.append(
            _symbol_row(
                symbol,
                module_name,
                f"{cls.__qualname__}.{name}",
                "method",
                class_symbol,
                public,
                _summary(function),
                "",
            )
        )
        if public:
            docstring = inspect.getdoc(function) or ""
            if name == "__init__":
                docstring = docstring + "\n\n" + class_doc
            scan_parameters(
                symbol, function, rows, checks, docstring=docstring, skip_first=not isinstance(member, staticmethod)
            )


# --- parameters ----------------------------------------------------------------------------------


def scan_parameters(
    symbol: str,
    function: Callable,
    rows: ScanRows,
    checks: LibraryChecks,
    docstring: str | None,
    skip_first: bool = False,
) -> None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    documented = parse_docstring(docstring or "")
    parameters = list(signature.parameters.values())
    if skip_first and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    literal_checks = checks.membership_checks(function)
    for position, parameter in enumerate(parameters):
        doc_type, description = documented.get(parameter.name, ("", ""))
        has_default = parameter.default is not inspect.Parameter.empty
        annotation = "" if parameter.annotation is inspect.Parameter.empty else _annotation_text(parameter.annotation)
        normalized, source = normalize_type(
            annotation, doc_type, parameter.default if has_default else None, has_default
        )
        rows.parameters.append(
            {
                "symbol": symbol,
                "parameter": parameter.name,
                "position": position,
                "kind": parameter.kind.name,
                "required": not has_default and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD),
                "has_default": has_default,
                "default_repr": clip(_safe_repr(parameter.default), 300) if has_default else "",
                "annotation": clip(annotation, 300),
                "normalized_type": clip(normalized, 300),
                "type_source": source,
                "description": clip(description),
            }
        )
        rows.add_allowed(symbol, parameter.name, literal_values(parameter.annotation), "literal_annotation")
        rows.add_allowed(symbol, parameter.name, documented_options(description), "docstring")
        if parameter.name in literal_checks:
            rows.add_allowed(symbol, parameter.name, literal_checks[parameter.name], f"library_check:{symbol}")


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _safe_repr(value: Any) -> str:
    """repr without memory addresses, so the same default reads the same in every scan."""
    try:
        return _ADDRESS.sub("", repr(value))
    except Exception:
        return f"<{type(value).__name__}>"


def _annotation_text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def literal_values(annotation: Any) -> list[Any]:
    """Values of a Literal annotation (also inside Optional/Union); a string annotation is parsed."""
    if isinstance(annotation, str):
        match = re.search(r"Literal\[(.*?)\]", annotation)
        return _quoted_items(match.group(1)) if match else []
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    values: list[Any] = []
    for argument in typing.get_args(annotation):
        values.extend(literal_values(argument))
    return values


_TYPE_NAMES = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "dict": "dict",
    "list": "list",
    "tuple": "tuple",
    "set": "set",
    "none": "none",
    "nonetype": "none",
    "any": "any",
    "callable": "callable",
    "sequence": "list",
    "iterable": "list",
    "mapping": "dict",
    "string": "str",
    "integer": "int",
}
_DATAFRAME = re.compile(r"(^|\.)(DataFrame|DFType|AnyDataFrame|FrameT)$")


def normalize_type(annotation: str, doc_type: str, default: Any, has_default: bool) -> tuple[str, str]:
    """A normalised type and where it came from: annotation, docstring, default, or none."""
    if annotation:
        return _normalize_text(annotation), "annotation"
    if doc_type:
        return _normalize_text(doc_type.replace(", optional", "").replace(" optional", "")), "docstring"
    if has_default and default is not None:
        return _type_of_value(default), "default"
    return "unknown", "none"


def _type_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, str, dict)):
        return type(value).__name__
    if isinstance(value, (list, tuple)):
        inner = {_type_of_value(item) for item in value}
        return f"list[{inner.pop()}]" if len(inner) == 1 else "list"
    if (callable(value) and not inspect.isclass(type(value))) or inspect.isfunction(value):
        return "callable"
    return f"class:{type(value).__name__}"


def _split_top_level(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for character in text:
        depth += (character in "[(" and 1) or 0
        depth -= (character in "])" and 1) or 0
        if character == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += character
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _normalize_text(text: str) -> str:
    text = text.strip().strip("'\"").replace("typing.", "").replace("typing_extensions.", "")
    alternatives = _split_top_level(text, "|")
    if len(alternatives) > 1:
        return _union([_normalize_text(part) for part in alternatives])
    alternatives = [part for part in re.split(r"\s+or\s+", text) if part]
    if len(alternatives) > 1:
        return _union([_normalize_text(part) for part in alternatives])
    match = re.fullmatch(r"([\w.]+)\s*\[(.*)\]", text, flags=re.DOTALL)
    if match:
        outer, inner = match.group(1).split(".")[-1], match.group(2)
        arguments = _split_top_level(inner, ",")
        lowered = outer.lower()
        if lowered == "optional":
            return f"optional[{_normalize_text(inner)}]"
        if lowered == "union":
            return _union([_normalize_text(argument) for argument in arguments])
        if lowered == "literal":
            return "literal"
        if lowered in ("list", "sequence", "iterable", "tuple", "set"):
            return f"list[{', '.join(_normalize_text(argument) for argument in arguments)}]"
        if lowered in ("dict", "mapping"):
            return "dict"
        if lowered == "callable":
            return "callable"
        return _normalize_text(outer)
    name = text.split(".")[-1]
    if _DATAFRAME.search(text):
        return "DataFrame"
    if name.lower() in _TYPE_NAMES:
        return _TYPE_NAMES[name.lower()]
    if re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return f"class:{name}"
    return "unknown"


def _union(members: list[str]) -> str:
    unique = list(dict.fromkeys(members))
    if "none" in unique and len(unique) > 1:
        rest = [member for member in unique if member != "none"]
        return f"optional[{rest[0] if len(rest) == 1 else _union(rest)}]"
    return unique[0] if len(unique) == 1 else f"union[{', '.join(unique)}]"


# --- docstrings ----------------------------------------------------------------------------------

_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Keyword Args|Other Parameters)\s*:?\s*$")
_GOOGLE_ITEM = re.compile(r"^(\s*)\*{0,2}([A-Za-z_][\w]*)\*{0,2}\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_ITEM = re.compile(r"^(\s*)([A-Za-z_][\w]*)\s*:\s*(.*)$")
_END_SECTION = re.compile(r"^\s*(Returns?|Raises|Yields|Examples?|References|Notes?|See Also|Attributes)\s*:?\s*$")


def parse_docstring(docstring: str) -> dict[str, tuple[str, str]]:
    """{parameter: (type text, description)} from Google style `name (type): text` or numpydoc sections."""
    lines = textwrap.dedent(docstring).splitlines()
    documented: dict[str, tuple[str, str]] = {}
    in_section, current, indent = False, None, 0
    for position, line in enumerate(lines):
        if _SECTION.match(line):
            in_section, current = True, None
            continue
        if _END_SECTION.match(line) or (
            line.strip() and set(line.strip()) == {"-"} and position > 0 and _END_SECTION.match(lines[position - 1])
        ):
            in_section, current = False, None
            continue
        if not in_section or (line.strip() and set(line.strip()) == {"-"}):
            continue
        item = _GOOGLE_ITEM.match(line)
        if item and (current is None or len(item.group(1)) <= indent) and item.group(3) is not None:
            current, indent = item.group(2), len(item.group(1))
            documented[current] = (item.group(3).strip(), item.group(4).strip())
            continue
        numpy_item = _NUMPY_ITEM.match(line)
        if numpy_item and (current is None or len(numpy_item.group(1)) <= indent) and " " not in numpy_item.group(2):
            current, indent = numpy_item.group(2), len(numpy_item.group(1))
            documented[current] = (numpy_item.group(3).strip(), "")
            continue
        if current and line.strip():
            type_text, description = documented[current]
            documented[current] = (type_text, f"{description} {line.strip()}".strip())
    return documented


_OPTION_LISTS = (
    re.compile(
        r"(?:from|available|one of|options?|choices?|among|in|supported)\s*:?\s*[\[{(]([^\]})]+)[\]})]", re.IGNORECASE
    ),
    re.compile(
        r"(?:can be|either|one of|options are|available are)\s+((?:[`'\"][^`'\"]+[`'\"][\s,]*(?:or\s+)?)+)",
        re.IGNORECASE,
    ),
)


def _quoted_items(text: str) -> list[str]:
    return [item.strip() for item in re.findall(r"[`'\"]([^`'\"]+)[`'\"]", text) if item.strip()]


def documented_options(description: str) -> list[str]:
    """Option lists written in a parameter's description, e.g. `from ['a', 'b']` or `Can be 'a' or 'b'`."""
    values: list[str] = []
    for pattern in _OPTION_LISTS:
        for match in pattern.finditer(description):
            values.extend(_quoted_items(match.group(1)))
    return list(dict.fromkeys(values))


# --- the library's own membership checks ---------------------------------------------------------


class LibraryChecks:
    """Literal containers a function checks a parameter against: `assert p in SCALERS`, `if p not in [...]`."""

    def __init__(self) -> None:
        self._module_literals: dict[str, dict[str, list[Any]]] = {}

    def membership_checks(self, function: Callable) -> dict[str, list[Any]]:
        try:
            source = textwrap.dedent(inspect.getsource(function))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError, IndentationError):
            return {}
        literals = {**self._literals_of_module(function), **_literal_assignments(tree)}
        checks: dict[str, list[Any]] = {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare) or len(node.ops) != 1:
                continue
            if not isinstance(node.ops[0], (ast.In, ast.NotIn)):
                continue
            name = _checked_name(node.left)
            values = _container_values(node.comparators[0], literals)
            if name and values:
                checks.setdefault(name, []).extend(value for value in values if value not in checks.get(name, []))
        return checks

    def _literals_of_module(self, function: Callable) -> dict[str, list[Any]]:
        module = inspect.getmodule(function)
        name = getattr(module, "__name__", "")
        if name not in self._module_literals:
            try:
                self._module_literals[name] = _literal_assignments(ast.parse(inspect.getsource(module)), top_only=True)
            except (OSError, TypeError, SyntaxError):
                self._module_literals[name] = {}
        return self._module_literals[name]


def _checked_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _constant_items(nodes: list[ast.AST]) -> list[Any]:
    items = [node.value for node in nodes if isinstance(node, ast.Constant)]
    return items if len(items) == len(nodes) and items else []


def _literal_of(node: ast.AST) -> list[Any]:
    if isinstance(node, ast.Dict):
        return _constant_items([key for key in node.keys if key is not None])
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return _constant_items(list(node.elts))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and node.keywords:
        return [keyword.arg for keyword in node.keywords if keyword.arg]
    return []


def _literal_assignments(tree: ast.AST, top_only: bool = False) -> dict[str, list[Any]]:
    nodes = tree.body if top_only and isinstance(tree, ast.Module) else ast.walk(tree)
    literals = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = _checked_name(node.targets[0])
            values = _literal_of(node.value)
            if target and values:
                literals[target] = values
    return literals


def _container_values(node: ast.AST, literals: dict[str, list[Any]]) -> list[Any]:
    direct = _literal_of(node)
    if direct:
        return direct
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "keys":
        node = node.func.value
    name = _checked_name(node)
    return literals.get(name, []) if name else []
