"""Static consistency checks of ROS 2 launch files against the nodes they start.

``launch`` / ``launch_ros`` cannot be installed on the development machines (PLATFORM.md), so
nothing here imports them, nor rclpy: launch files, node modules and ``setup.py`` files are read
with :mod:`ast`, parameter files with PyYAML. What a launch typically breaks on, caught here:

* an ``executable`` that is not a ``console_scripts`` entry point of its package;
* a parameter file that does not exist or that the package does not install to ``share/``;
* a YAML section named after no node it is given to; a YAML key, or a key of an override dict,
  that the node never declares (rclpy ignores it silently; our nodes fail at start-up); a value
  whose ROS type differs from the declared default's (``5`` for a double fails at start-up);
  a parameter declared without a default that nobody sets;
* a remapping whose ``from`` name is no topic, service or action the node uses;
* a ``LaunchConfiguration`` that no ``DeclareLaunchArgument`` declares; an included launch file
  that does not exist, an argument passed to it that it does not declare, or a required one
  (no ``default_value``) that is not passed. An included file is also checked again with the
  argument values passed to it (``robot:=hsr`` selecting other parameter files).

Launch arguments take their default values (launch_ros's YAML rules give their parameter types);
YAML scalars are typed as rcl reads them (``1e-3`` is a double).

Values are evaluated symbolically: string constants, names bound by assignments, ``for`` loops
and comprehensions over literal sequences, module-level dicts, helper functions called with
literal arguments, f-strings, ``os.path.join`` / ``PathJoinSubstitution`` /
``get_package_share_directory`` / ``FindPackageShare``. Anything else is :data:`DYNAMIC` and not
checked, except that a name the checker cannot resolve is mentioned next to any problem it might
explain (never silently taken as a pass).

Config dataclasses declared through ``xai_nodes.params.declare_config`` are expanded by
importing the class: :data:`CONFIG_CLASSES` names the known ones, and any class a node imports
from :data:`IMPORTABLE_PACKAGES` is resolved the same way.

    python -m xai_core.launch_check ros2_ws/src/xai_bringup/launch/*.launch.py
"""

from __future__ import annotations

import ast
import configparser
import dataclasses
import difflib
import functools
import importlib
import itertools
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CONFIG_CLASSES",
    "DYNAMIC",
    "EXTERNAL_PACKAGES",
    "IMPORTABLE_PACKAGES",
    "IncludeSpec",
    "LaunchArg",
    "LaunchSpec",
    "NodeInterface",
    "NodeSpec",
    "ParameterSpec",
    "SharePath",
    "check_configs",
    "check_launch",
    "console_scripts",
    "installed_files",
    "node_interface",
    "parse_launch_file",
    "yaml_parameters",
]

#: Config classes that nodes declare as ``<prefix>.<dotted leaves>`` through
#: ``declare_config(self, "prefix", Cls().to_dict())`` or ``asdict(Cls())``: class name -> module.
#: Add an entry to teach the checker a new one (classes imported from IMPORTABLE_PACKAGES need
#: none).
CONFIG_CLASSES: dict[str, str] = {
    "SimConfig": "xai_sim",
    "TwistMapping": "xai_core.nav.actions",
}
#: Pure-Python packages (no rclpy) whose config classes may be imported to expand declarations.
IMPORTABLE_PACKAGES: tuple[str, ...] = ("xai_core", "xai_sim", "xai_bridge")
#: Functions that declare ``<prefix>.<leaf>`` for every non-None leaf of a dict (3rd argument).
CONFIG_DECLARERS: frozenset[str] = frozenset({"declare_config"})
#: Packages a launch file may start that are not in the workspace (not checked further).
EXTERNAL_PACKAGES: frozenset[str] = frozenset(
    {
        "rviz2",
        "robot_state_publisher",
        "joint_state_publisher",
        "tf2_ros",
        "foxglove_bridge",
        "rosbridge_server",
        "rosbag2_transport",
        "image_transport",
        "topic_tools",
        "depthimage_to_laserscan",
    }
)

#: Parameters every rclpy node declares itself.
BUILTIN_PARAMETERS: dict[str, ParameterSpec] = {}
_CAP = 64  # most candidate values / instances followed per expression
_ROS_NAME = re.compile(r"^(~(/[A-Za-z_][A-Za-z0-9_]*)*|/?[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z0-9_]+)*)$")


class _RclYamlLoader(yaml.SafeLoader):
    """PyYAML as rcl's parameter parser reads plain scalars: ``1e-3`` is a double, not a str."""


_RclYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


class _Dynamic:
    """Singleton: a value the checker cannot know statically."""

    _instance: _Dynamic | None = None

    def __new__(cls) -> _Dynamic:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<dynamic>"


DYNAMIC: Any = _Dynamic()


@dataclass(frozen=True)
class SharePath:
    """A path inside an installed package's share directory: ``share/<package>/<rel>``."""

    package: str
    rel: str = ""

    def join(self, *parts: str) -> SharePath:
        """``os.path.join`` semantics (an absolute part would leave the package: not modelled)."""
        rel = posixpath.normpath(posixpath.join(self.rel or ".", *[p.lstrip("/") for p in parts]))
        return SharePath(self.package, "" if rel == "." else rel)

    def __str__(self) -> str:
        return f"share/{self.package}/{self.rel}".rstrip("/")


@dataclass(frozen=True)
class LaunchArg:
    """``LaunchConfiguration("name")``: the value of a launch argument."""

    name: str

    def __str__(self) -> str:
        return f"$(var {self.name})"


@dataclass(frozen=True)
class _TypedValue:
    """``ParameterValue(value, value_type=...)``: a launch value with an explicit ROS type."""

    value: Any
    ros_type: str | None


@dataclass(frozen=True)
class _ParamType:
    """``Parameter.Type.X`` given instead of a default (the parameter has no value)."""

    ros_type: str


@dataclass(frozen=True)
class _ConfigInstance:
    """``Cls()`` of a known config class."""

    name: str
    module: str


@dataclass(frozen=True)
class _FunctionRef:
    """A function defined in the analysed module."""

    node: ast.FunctionDef | ast.AsyncFunctionDef


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class NodeSpec:
    """One ``Node(...)`` of a launch file (one per instance of a helper or loop)."""

    package: Any
    executable: Any
    name: Any = None
    namespace: Any = None
    #: Parameter files: str, SharePath or DYNAMIC.
    parameter_files: list[Any] = field(default_factory=list)
    #: Override dicts flattened to dotted names -> value (or LaunchArg / DYNAMIC).
    overrides: dict[str, Any] = field(default_factory=dict)
    #: ``parameters`` items the checker could not read.
    dynamic_parameters: int = 0
    remappings: list[tuple[Any, Any]] = field(default_factory=list)
    condition: str | None = None
    line: int = 0


@dataclass
class IncludeSpec:
    """One ``IncludeLaunchDescription(...)``."""

    path: Any
    arguments: dict[str, Any] = field(default_factory=dict)
    line: int = 0

    @property
    def file_name(self) -> str | None:
        """Base name of the included file, when known."""
        if isinstance(self.path, SharePath):
            return posixpath.basename(self.path.rel) or None
        if isinstance(self.path, str):
            return posixpath.basename(self.path)
        return None


@dataclass
class LaunchSpec:
    """What a launch file starts and declares, read without running it."""

    path: Path
    nodes: list[NodeSpec] = field(default_factory=list)
    #: Declared launch argument -> default value (None = required, DYNAMIC = not literal).
    arguments: dict[str, Any] = field(default_factory=dict)
    #: Launch argument used through ``LaunchConfiguration`` without a default -> line numbers.
    used_arguments: dict[str, list[int]] = field(default_factory=dict)
    includes: list[IncludeSpec] = field(default_factory=list)
    #: Problems found while reading (syntax errors).
    problems: list[str] = field(default_factory=list)
    #: Launch argument values assumed while reading (given ones, else string defaults).
    values: dict[str, str] = field(default_factory=dict)

    @property
    def undeclared_arguments(self) -> dict[str, list[int]]:
        """Launch arguments used but not declared in this file -> line numbers."""
        return {k: v for k, v in self.used_arguments.items() if k not in self.arguments}


@dataclass
class ParameterSpec:
    """One declared parameter of a node."""

    name: str
    default: Any  # the default value, a _ParamType, None (no default) or DYNAMIC
    line: int

    @property
    def required(self) -> bool:
        """Declared without a value: must come from a parameter file or override."""
        return self.default is None or isinstance(self.default, _ParamType)

    @property
    def ros_type(self) -> str | None:
        """The ROS parameter type rclpy infers from the default (None: unknown)."""
        if isinstance(self.default, _ParamType):
            return self.default.ros_type
        return _ros_type(self.default)


BUILTIN_PARAMETERS.update(
    {
        "use_sim_time": ParameterSpec("use_sim_time", False, 0),
        "start_type_description_service": ParameterSpec("start_type_description_service", True, 0),
    }
)


@dataclass
class NodeInterface:
    """The parameters, topics and services a node module declares."""

    module: str
    path: Path
    node_name: str | None = None
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    publishers: dict[str, int] = field(default_factory=dict)  # topic -> line
    subscriptions: dict[str, int] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    clients: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    #: Lines of declarations / topic uses whose names could not be resolved.
    unresolved_parameters: list[int] = field(default_factory=list)
    unresolved_names: list[int] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        """Every topic, service and action name the node uses (as written)."""
        return {
            *self.publishers,
            *self.subscriptions,
            *self.services,
            *self.clients,
            *self.actions,
        }


# --------------------------------------------------------------------------------------------
# The symbolic evaluator


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_Env = dict[str, list[Any]]


def _dedupe(values: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(repr(value), value)
        if len(seen) > _CAP:
            return [DYNAMIC]
    return list(seen.values()) or [DYNAMIC]


def _product(lists: list[list[Any]]) -> list[tuple[Any, ...]] | None:
    """Cartesian product, or None when it would exceed the cap."""
    total = 1
    for options in lists:
        total *= max(1, len(options))
    if total > _CAP:
        return None
    return list(itertools.product(*lists))


def _dotted(expr: ast.expr) -> str | None:
    """``a.b.c`` of a Name / Attribute chain (``None`` for anything else)."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    if isinstance(expr, ast.Call) and _dotted(expr.func) == "super":
        parts.append("super()")
        return ".".join(reversed(parts))
    return None


class _Module:
    """One parsed Python file with a symbolic evaluator over its names."""

    def __init__(self, path: Path, source: str | None = None) -> None:
        self.path = path
        self.source = path.read_text() if source is None else source
        self.tree = ast.parse(self.source, filename=str(path))
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
        self._bindings: dict[ast.AST, dict[str, list[tuple[str, ast.AST, tuple[int, ...]]]]] = {}
        self._call_sites: dict[str, list[ast.Call]] | None = None
        self._active: set[int] = set()
        self.imports: dict[str, str] = {}  # local name -> "module.attr"
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = alias.name

    # -- hooks for subclasses ------------------------------------------------------------------

    def call_hook(self, call: ast.Call, name: str | None, env: _Env) -> list[Any] | None:
        """Values of a call the subclass understands (None: not handled)."""
        return None

    # -- scopes and bindings -------------------------------------------------------------------

    def calls(self) -> Iterator[ast.Call]:
        """Every call in the module, in source order."""
        found = [n for n in ast.walk(self.tree) if isinstance(n, ast.Call)]
        yield from sorted(found, key=lambda n: (n.lineno, n.col_offset))

    def enclosing(self, node: ast.AST) -> list[ast.AST]:
        """Ancestors of ``node``, innermost first."""
        chain = []
        current = self.parent.get(node)
        while current is not None:
            chain.append(current)
            current = self.parent.get(current)
        return chain

    def _scope_bindings(self, scope: ast.AST) -> dict[str, list[tuple[str, ast.AST, tuple]]]:
        if scope in self._bindings:
            return self._bindings[scope]
        table: dict[str, list[tuple[str, ast.AST, tuple]]] = {}

        def add_target(target: ast.expr, kind: str, value: ast.AST, path: tuple = ()) -> None:
            if isinstance(target, ast.Name):
                table.setdefault(target.id, []).append((kind, value, path))
            elif isinstance(target, ast.Tuple | ast.List):
                for i, element in enumerate(target.elts):
                    add_target(element, kind, value, (*path, i))

        if isinstance(scope, _SCOPES):
            args = scope.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    table.setdefault(arg.arg, []).append(("param", scope, ()))
        stack = list(ast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                table.setdefault(node.name, []).append(("def", node, ()))
                continue
            if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.GeneratorExp):
                continue
            if isinstance(node, ast.DictComp):
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    add_target(target, "assign", node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                add_target(node.target, "assign", node.value)
            elif isinstance(node, ast.AugAssign):
                add_target(node.target, "augassign", node)
            elif isinstance(node, ast.NamedExpr):
                add_target(node.target, "assign", node.value)
            elif isinstance(node, ast.For | ast.AsyncFor):
                add_target(node.target, "for", node.iter)
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if item.optional_vars is not None:
                        add_target(item.optional_vars, "opaque", item.context_expr)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    table.setdefault(name, []).append(("opaque", node, ()))
            stack.extend(ast.iter_child_nodes(node))
        self._bindings[scope] = table
        return table

    def call_sites(self, name: str) -> list[ast.Call]:
        """Calls ``name(...)`` / ``self.name(...)`` in the module."""
        if self._call_sites is None:
            sites: dict[str, list[ast.Call]] = {}
            for call in self.calls():
                dotted = _dotted(call.func)
                if dotted is not None:
                    sites.setdefault(dotted.removeprefix("self."), []).append(call)
            self._call_sites = sites
        return self._call_sites.get(name, [])

    def alias_of(self, expr: ast.expr) -> str | None:
        """Method name a call goes to: ``self.x(...)`` -> x; ``d(...)`` with ``d = self.x`` -> x."""
        if isinstance(expr, ast.Attribute):
            return expr.attr
        if not isinstance(expr, ast.Name):
            return None
        for scope in [*[s for s in self.enclosing(expr) if isinstance(s, _SCOPES)], self.tree]:
            bindings = self._scope_bindings(scope).get(expr.id)
            if bindings:
                for kind, value, path in bindings:
                    if kind == "assign" and not path and isinstance(value, ast.Attribute):
                        return value.attr
                return expr.id
        return expr.id

    def resolve_callee(self, expr: ast.expr, depth: int = 0) -> str | None:
        """Dotted name a call goes to, through aliases: ``arg = LaunchConfiguration``."""
        if isinstance(expr, ast.Name) and depth < 4:
            scopes = [s for s in self.enclosing(expr) if isinstance(s, _SCOPES)]
            for scope in [*scopes, self.tree]:
                bindings = self._scope_bindings(scope).get(expr.id)
                if not bindings:
                    continue
                if len(bindings) == 1 and bindings[0][0] == "assign" and not bindings[0][2]:
                    value = bindings[0][1]
                    if isinstance(value, ast.Name | ast.Attribute):
                        return self.resolve_callee(value, depth + 1)
                break
        return _dotted(expr)

    # -- instances -----------------------------------------------------------------------------

    def instances(self, node: ast.AST, depth: int = 0) -> list[_Env]:
        """Environments under which ``node`` runs: one per loop element / helper call site."""
        binders: list[tuple[ast.AST, ast.AST]] = []
        child: ast.AST = node
        for ancestor in self.enclosing(node):
            if (
                isinstance(ancestor, _COMPS)
                or (isinstance(ancestor, ast.For | ast.AsyncFor) and child in ancestor.body)
                or isinstance(ancestor, _SCOPES)
            ):
                binders.append((ancestor, child))
            child = ancestor
        envs: list[_Env] = [{}]
        for binder, _ in reversed(binders):
            expanded: list[_Env] = []
            for env in envs:
                expanded.extend(self._bind_binder(binder, env, depth))
                if len(expanded) > _CAP:
                    break
            envs = expanded[:_CAP] or [{}]
        return envs

    def _bind_binder(self, binder: ast.AST, env: _Env, depth: int) -> list[_Env]:
        if isinstance(binder, _COMPS):
            envs = [env]
            for generator in binder.generators:
                new_envs = []
                for e in envs:
                    for item in self._iterate(generator.iter, e):
                        new_envs.append({**e, **_bind_target(generator.target, item)})
                envs = new_envs[:_CAP]
            return envs
        if isinstance(binder, ast.For | ast.AsyncFor):
            return [
                {**env, **_bind_target(binder.target, v)} for v in self._iterate(binder.iter, env)
            ]
        assert isinstance(binder, _SCOPES)
        return self._bind_function(binder, env, depth)

    def _bind_function(self, func: ast.AST, env: _Env, depth: int) -> list[_Env]:
        args = func.args  # type: ignore[attr-defined]
        params = [*args.posonlyargs, *args.args]
        names = [a.arg for a in [*params, *args.kwonlyargs, args.vararg, args.kwarg] if a]
        if not names:
            return [env]
        dynamic = {n: [DYNAMIC] for n in names}
        sites = [] if isinstance(func, ast.Lambda) or depth > 3 else self.call_sites(func.name)
        sites = [s for s in sites if func not in self.enclosing(s)]
        if not sites:
            return [{**env, **dynamic}]
        envs: list[_Env] = []
        for site in sites:
            for site_env in self.instances(site, depth + 1):
                bound = self._bind_arguments(func, site, site_env)
                keys = list(bound)
                combos = _product([bound[k] for k in keys]) or [tuple(DYNAMIC for _ in keys)]
                for combo in combos:
                    envs.append(
                        {**env, **dynamic, **{k: [v] for k, v in zip(keys, combo, strict=False)}}
                    )
        return envs[:_CAP] or [{**env, **dynamic}]

    def _bind_arguments(self, func: ast.AST, call: ast.Call, env: _Env) -> dict[str, list[Any]]:
        args = func.args  # type: ignore[attr-defined]
        params = [a.arg for a in [*args.posonlyargs, *args.args]]
        if params and params[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
            params = params[1:]
        bound: dict[str, list[Any]] = {}
        defaults = dict(zip(reversed(params), reversed(args.defaults), strict=False))
        kw_defaults = {
            a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=False) if d
        }
        for name, value in zip(params, call.args, strict=False):
            bound[name] = [DYNAMIC] if isinstance(value, ast.Starred) else self.eval(value, env)
        extra: dict[str, ast.expr] = {}
        for keyword in call.keywords:
            if keyword.arg is None:
                continue
            if (
                keyword.arg in params
                or keyword.arg in kw_defaults
                or any(a.arg == keyword.arg for a in args.kwonlyargs)
            ):
                bound[keyword.arg] = self.eval(keyword.value, env)
            else:
                extra[keyword.arg] = keyword.value
        for name, default in [*defaults.items(), *kw_defaults.items()]:
            bound.setdefault(name, self.eval(default, {}))
        if args.kwarg is not None:
            options = _product([self.eval(v, env) for v in extra.values()])
            bound[args.kwarg.arg] = (
                [dict(zip(extra, combo, strict=False)) for combo in options]
                if options
                else [DYNAMIC]
            )
        return bound

    def _iterate(self, expr: ast.expr, env: _Env) -> list[Any]:
        items: list[Any] = []
        for value in self.eval(expr, env):
            if isinstance(value, list | tuple | set | frozenset | dict):
                items.extend(value)
            else:
                return [DYNAMIC]
        return _dedupe(items) if items else []

    # -- evaluation ----------------------------------------------------------------------------

    def eval(self, expr: ast.AST | None, env: _Env) -> list[Any]:
        """Possible values of ``expr`` (``[DYNAMIC]`` when unknown)."""
        if expr is None:
            return [None]
        key = id(expr)
        if key in self._active or len(self._active) > 60:
            return [DYNAMIC]
        self._active.add(key)
        try:
            return _dedupe(self._eval(expr, env))
        finally:
            self._active.discard(key)

    def eval_one(self, expr: ast.AST | None, env: _Env) -> Any:
        """The value of ``expr`` if it has exactly one candidate, else DYNAMIC."""
        values = self.eval(expr, env)
        return values[0] if len(values) == 1 else DYNAMIC

    def _eval(self, expr: ast.AST, env: _Env) -> list[Any]:
        if isinstance(expr, ast.Constant):
            return [expr.value]
        if isinstance(expr, ast.Name):
            return self._lookup(expr, env)
        if isinstance(expr, ast.JoinedStr):
            return self._eval_fstring(expr, env)
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            return self._eval_sequence(expr, env)
        if isinstance(expr, ast.Dict):
            return self._eval_dict(expr, env)
        if isinstance(expr, ast.IfExp):
            return [*self.eval(expr.body, env), *self.eval(expr.orelse, env)]
        if isinstance(expr, ast.UnaryOp):
            return [_unary(expr.op, v) for v in self.eval(expr.operand, env)]
        if isinstance(expr, _COMPS):
            return self._eval_comprehension(expr, env)
        if isinstance(expr, ast.BoolOp):
            return [v for operand in expr.values for v in self.eval(operand, env)]
        if isinstance(expr, ast.BinOp):
            return self._eval_binop(expr, env)
        if isinstance(expr, ast.Subscript):
            return self._eval_subscript(expr, env)
        if isinstance(expr, ast.Call):
            return self._eval_call(expr, env)
        if isinstance(expr, ast.Attribute):
            return self._eval_attribute(expr, env)
        return [DYNAMIC]

    def _lookup(self, name: ast.Name, env: _Env) -> list[Any]:
        if name.id in env:
            return env[name.id]
        if name.id == "__file__":
            return [str(self.path)]
        scopes = [s for s in self.enclosing(name) if isinstance(s, _SCOPES)]
        for scope in [*scopes, self.tree]:
            bindings = self._scope_bindings(scope).get(name.id)
            if not bindings:
                continue
            values: list[Any] = []
            augmented = [b for b in bindings if b[0] == "augassign"]
            for kind, value, path in bindings:
                if kind == "assign":
                    values.extend(_extract(v, path) for v in self.eval(value, env))
                elif kind == "for":
                    values.extend(_extract(v, path) for v in self._iterate(value, env))  # type: ignore[arg-type]
                elif kind == "def" and isinstance(value, ast.FunctionDef | ast.AsyncFunctionDef):
                    values.append(_FunctionRef(value))
                elif kind in ("param", "opaque", "def"):
                    values.append(DYNAMIC)
            for _, node, _ in augmented:
                assert isinstance(node, ast.AugAssign)
                values = self._apply_binop(node.op, values, self.eval(node.value, env))
            return values or [DYNAMIC]
        return [DYNAMIC]

    def _eval_comprehension(self, expr: ast.AST, env: _Env) -> list[Any]:
        if any(g.ifs or g.is_async for g in expr.generators):  # type: ignore[attr-defined]
            return [DYNAMIC]
        envs = self._bind_binder(expr, env, 0)
        if len(envs) >= _CAP:
            return [DYNAMIC]
        if isinstance(expr, ast.DictComp):
            return [{self.eval_one(expr.key, e): self.eval_one(expr.value, e) for e in envs}]
        items = [self.eval_one(expr.elt, e) for e in envs]  # type: ignore[attr-defined]
        return [items]

    def _eval_fstring(self, expr: ast.JoinedStr, env: _Env) -> list[Any]:
        parts: list[list[Any]] = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append([str(value.value)])
            elif isinstance(value, ast.FormattedValue) and value.format_spec is None:
                options = self.eval(value.value, env)
                if any(
                    not isinstance(o, str | int | float) or isinstance(o, bool) for o in options
                ):
                    return [DYNAMIC]
                parts.append([str(o) for o in options])
            else:
                return [DYNAMIC]
        combos = _product(parts)
        return ["".join(c) for c in combos] if combos else [DYNAMIC]

    def _eval_sequence(self, expr: ast.List | ast.Tuple | ast.Set, env: _Env) -> list[Any]:
        parts: list[list[Any]] = []
        starred: list[bool] = []
        for element in expr.elts:
            if isinstance(element, ast.Starred):
                parts.append(self.eval(element.value, env))
                starred.append(True)
            else:
                parts.append(self.eval(element, env))
                starred.append(False)
        combos = _product(parts)
        if combos is None:
            return [DYNAMIC]
        results = []
        for combo in combos:
            items: list[Any] = []
            for value, is_starred in zip(combo, starred, strict=False):
                if not is_starred:
                    items.append(value)
                elif isinstance(value, list | tuple):
                    items.extend(value)
                else:
                    items.append(DYNAMIC)
            results.append(tuple(items) if isinstance(expr, ast.Tuple) else items)
        return results

    def _eval_dict(self, expr: ast.Dict, env: _Env) -> list[Any]:
        parts: list[list[Any]] = []
        for key, value in zip(expr.keys, expr.values, strict=False):
            parts.append(self.eval(key, env) if key is not None else [None])
            parts.append(self.eval(value, env))
        combos = _product(parts)
        if combos is None:
            return [DYNAMIC]
        results = []
        for combo in combos:
            result: dict[Any, Any] = {}
            for key, value in zip(combo[::2], combo[1::2], strict=False):
                if key is None:  # ** unpacking
                    if not isinstance(value, dict):
                        return [DYNAMIC]
                    result.update(value)
                elif key is DYNAMIC:
                    result[DYNAMIC] = value
                else:
                    result[key] = value
            results.append(result)
        return results

    def _eval_binop(self, expr: ast.BinOp, env: _Env) -> list[Any]:
        return self._apply_binop(expr.op, self.eval(expr.left, env), self.eval(expr.right, env))

    @staticmethod
    def _apply_binop(op: ast.operator, left: list[Any], right: list[Any]) -> list[Any]:
        combos = _product([left, right])
        if combos is None:
            return [DYNAMIC]
        results: list[Any] = []
        for a, b in combos:
            if isinstance(op, ast.Add) and (
                (isinstance(a, str) and isinstance(b, str))
                or (isinstance(a, list | tuple) and isinstance(b, list | tuple))
            ):
                results.append(a + b if type(a) is type(b) else [*a, *b])
            elif isinstance(op, ast.Div) and isinstance(a, SharePath) and isinstance(b, str):
                results.append(a.join(b))
            elif isinstance(op, ast.Div) and isinstance(a, str) and isinstance(b, str):
                results.append(posixpath.join(a, b))
            else:
                results.append(DYNAMIC)
        return results

    def _eval_subscript(self, expr: ast.Subscript, env: _Env) -> list[Any]:
        if isinstance(expr.slice, ast.Slice):
            return [DYNAMIC]
        results = []
        for container in self.eval(expr.value, env):
            for index in self.eval(expr.slice, env):
                try:
                    results.append(container[index])
                except (KeyError, IndexError, TypeError):
                    results.append(DYNAMIC)
        return results

    def _eval_attribute(self, expr: ast.Attribute, env: _Env) -> list[Any]:
        # `declare_parameter(name, default).value` and the like are handled by call_hook on the
        # inner call with this attribute as context; plain attributes are unknown.
        if expr.attr == "value" and isinstance(expr.value, ast.Call):
            values = self.call_hook(expr.value, _dotted(expr.value.func), env)
            if values is not None:
                return values
        return [DYNAMIC]

    def _eval_call(self, call: ast.Call, env: _Env) -> list[Any]:
        name = self.resolve_callee(call.func)
        hooked = self.call_hook(call, name, env)
        if hooked is not None:
            return hooked
        if name in ("list", "tuple", "sorted", "set") and len(call.args) == 1:
            convert = {"list": list, "tuple": tuple, "sorted": sorted, "set": list}[name]
            results = []
            for value in self.eval(call.args[0], env):
                try:
                    results.append(convert(value) if value is not DYNAMIC else DYNAMIC)
                except TypeError:
                    results.append(DYNAMIC)
            return results
        if name == "dict" and not call.args:
            return self._eval_dict(
                ast.Dict(
                    keys=[ast.Constant(k.arg) if k.arg else None for k in call.keywords],
                    values=[k.value for k in call.keywords],
                ),
                env,
            )
        if name in ("str", "Path", "pathlib.Path", "os.fspath") and len(call.args) == 1:
            return [
                v if isinstance(v, str | SharePath) else DYNAMIC
                for v in self.eval(call.args[0], env)
            ]
        if name in ("os.path.join", "posixpath.join"):
            return self._eval_join([self.eval(a, env) for a in call.args])
        if name in ("os.path.dirname", "os.path.abspath", "os.path.realpath") and call.args:
            results = []
            for value in self.eval(call.args[0], env):
                if name != "os.path.dirname":
                    results.append(value)
                elif isinstance(value, SharePath):
                    results.append(SharePath(value.package, posixpath.dirname(value.rel)))
                elif isinstance(value, str):
                    results.append(posixpath.dirname(value))
                else:
                    results.append(DYNAMIC)
            return results
        if isinstance(call.func, ast.Attribute):
            method = call.func.attr
            receivers = self.eval(call.func.value, env)
            arguments = [self.eval(a, env) for a in call.args]
            combos = _product([receivers, *arguments])
            if combos is not None and not call.keywords:
                results = [_apply_method(c[0], method, list(c[1:])) for c in combos]
                if any(r is not DYNAMIC for r in results):
                    return results
        if isinstance(call.func, ast.Name):
            functions = [f for f in self._lookup(call.func, env) if isinstance(f, _FunctionRef)]
            if functions:
                return self._eval_helper(functions[0].node, call, env)
        return [DYNAMIC]

    def _eval_join(self, parts: list[list[Any]]) -> list[Any]:
        combos = _product(parts)
        if combos is None:
            return [DYNAMIC]
        results = []
        for combo in combos:
            head, *rest = combo or ("",)
            if isinstance(head, SharePath) and all(isinstance(r, str) for r in rest):
                results.append(head.join(*rest))
            elif all(isinstance(p, str) for p in combo):
                results.append(posixpath.join(*combo))
            else:
                results.append(DYNAMIC)
        return results

    def _eval_helper(self, func: ast.AST, call: ast.Call, env: _Env) -> list[Any]:
        returns = [
            n
            for n in ast.walk(func)
            if isinstance(n, ast.Return) and _innermost_scope(self, n) is func
        ]
        if not returns:
            return [DYNAMIC]
        bound = self._bind_arguments(func, call, env)
        keys = list(bound)
        combos = _product([bound[k] for k in keys]) or [tuple(DYNAMIC for _ in keys)]
        results: list[Any] = []
        for combo in combos:
            inner = {k: [v] for k, v in zip(keys, combo, strict=False)}
            for ret in returns:
                results.extend(self.eval(ret.value, inner))
        return results


def _unary(op: ast.unaryop, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return not value if isinstance(op, ast.Not) and isinstance(value, bool) else DYNAMIC
    if isinstance(op, ast.USub):
        return -value
    if isinstance(op, ast.UAdd):
        return +value
    return DYNAMIC


def _innermost_scope(module: _Module, node: ast.AST) -> ast.AST | None:
    for ancestor in module.enclosing(node):
        if isinstance(ancestor, _SCOPES):
            return ancestor
    return None


def _bind_target(target: ast.expr, value: Any) -> _Env:
    if isinstance(target, ast.Name):
        return {target.id: [value]}
    if isinstance(target, ast.Tuple | ast.List):
        env: _Env = {}
        for i, element in enumerate(target.elts):
            item = (
                value[i]
                if isinstance(value, list | tuple) and len(value) == len(target.elts)
                else DYNAMIC
            )
            env.update(_bind_target(element, item))
        return env
    return {}


def _extract(value: Any, path: tuple[int, ...]) -> Any:
    for index in path:
        if isinstance(value, list | tuple) and index < len(value):
            value = value[index]
        else:
            return DYNAMIC
    return value


def _apply_method(receiver: Any, method: str, args: list[Any]) -> Any:
    """Pure methods of literal dicts and strings (anything else: DYNAMIC)."""
    if isinstance(receiver, dict) and not args and method in ("items", "keys", "values"):
        return list(getattr(receiver, method)())
    if isinstance(receiver, dict) and method == "get" and args and args[0] in receiver:
        return receiver[args[0]]
    safe = {"format", "join", "replace", "strip", "lstrip", "rstrip", "lower", "upper"}
    safe |= {"removeprefix", "removesuffix", "split", "rsplit"}
    if (
        isinstance(receiver, str)
        and method in safe
        and all(isinstance(a, str | int | list | tuple) for a in args)
    ):
        try:
            return getattr(receiver, method)(*args)
        except (TypeError, ValueError, IndexError, KeyError):
            return DYNAMIC
    return DYNAMIC


# --------------------------------------------------------------------------------------------
# ROS types and names


def _ros_type(value: Any) -> str | None:
    """ROS parameter type of a Python / YAML value (None: unknown or no value)."""
    if isinstance(value, _TypedValue):
        return value.ros_type
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "byte_array"
    if isinstance(value, list | tuple) and value:
        kinds = {_ros_type(v) for v in value}
        if len(kinds) == 1 and next(iter(kinds)) in ("bool", "integer", "double", "string"):
            return f"{next(iter(kinds))}_array"
        return "invalid (mixed array)" if None not in kinds else None
    return None


def _launch_value_type(text: str) -> str | None:
    """ROS type launch_ros gives a substituted string in a parameter dict (YAML rules)."""
    if text == "":
        return "string"
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return "string"
    return _ros_type(loaded)


def _expand_name(name: str, namespace: str | None, node_name: str | None) -> str:
    """Fully qualified form of a topic / service name as rcl expands it."""
    ns = "/" + namespace.strip("/") if namespace and namespace.strip("/") else ""
    if name.startswith("~"):
        if node_name is None:
            return name
        return f"{ns}/{node_name}{name[1:]}"
    if not name.startswith("/"):
        return f"{ns}/{name}"
    return name


def _flatten(nested: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --------------------------------------------------------------------------------------------
# setup.py


class _SetupModule(_Module):
    def call_hook(self, call: ast.Call, name: str | None, env: _Env) -> list[Any] | None:
        if name in ("glob", "glob.glob") and call.args:
            patterns = self.eval(call.args[0], env)
            results = []
            for pattern in patterns:
                if not isinstance(pattern, str):
                    return [DYNAMIC]
                base = self.path.parent
                results.append(sorted(str(Path(p).relative_to(base)) for p in base.glob(pattern)))
            return results
        return None

    def setup_keywords(self) -> dict[str, ast.expr]:
        for call in self.calls():
            if _dotted(call.func) in ("setup", "setuptools.setup"):
                return {k.arg: k.value for k in call.keywords if k.arg}
        return {}


def console_scripts(setup_py: Path | str) -> dict[str, str]:
    """``console_scripts`` entry points of a ``setup.py`` (and its ``setup.cfg``).

    Returns:
        executable name -> ``"module:function"``; empty when there are none or the file is
        missing.
    """
    path = Path(setup_py)
    scripts: dict[str, str] = {}
    if path.is_file():
        module = _SetupModule(path)
        entry_points = module.setup_keywords().get("entry_points")
        for value in module.eval(entry_points, {}) if entry_points is not None else []:
            if isinstance(value, dict):
                for line in value.get("console_scripts", []) or []:
                    if isinstance(line, str) and "=" in line:
                        key, target = line.split("=", 1)
                        scripts[key.strip()] = target.strip()
    cfg = path.with_name("setup.cfg")
    if cfg.is_file():
        parser = configparser.ConfigParser()
        parser.read(cfg)
        if parser.has_option("options.entry_points", "console_scripts"):
            for line in parser.get("options.entry_points", "console_scripts").splitlines():
                if "=" in line:
                    key, target = line.split("=", 1)
                    scripts[key.strip()] = target.strip()
    return scripts


def installed_files(package_dir: Path | str) -> dict[str, Path] | None:
    """Files an ament_python package installs into its share directory.

    Returns:
        ``rel`` (as in ``share/<package>/<rel>``) -> source file, from ``setup.py``'s
        ``data_files``; None when the package has no readable ``setup.py`` (e.g. ament_cmake).
    """
    package_dir = Path(package_dir)
    setup_py = package_dir / "setup.py"
    if not setup_py.is_file():
        return None
    module = _SetupModule(setup_py)
    data_files = module.setup_keywords().get("data_files")
    name = _package_name(package_dir)
    files: dict[str, Path] = {}
    for value in module.eval(data_files, {}) if data_files is not None else []:
        if not isinstance(value, list | tuple):
            return None
        for entry in value:
            if not (isinstance(entry, list | tuple) and len(entry) == 2):
                continue
            dest, sources = entry
            prefix = f"share/{name}"
            if not isinstance(dest, str) or not dest.startswith(prefix):
                continue
            sub = dest[len(prefix) :].strip("/")
            for source in sources if isinstance(sources, list | tuple) else []:
                if isinstance(source, str):
                    rel = posixpath.join(sub, posixpath.basename(source))
                    files[rel] = package_dir / source
    return files


def _package_name(package_dir: Path) -> str:
    package_xml = package_dir / "package.xml"
    if package_xml.is_file():
        match = re.search(r"<name>\s*([^<\s]+)\s*</name>", package_xml.read_text())
        if match:
            return match.group(1)
    return package_dir.name


# --------------------------------------------------------------------------------------------
# Node modules


class _NodeModule(_Module):
    def call_hook(self, call: ast.Call, name: str | None, env: _Env) -> list[Any] | None:
        method = self.alias_of(call.func)
        if method == "declare_parameter":
            if len(call.args) > 1:
                return self._default(call.args[1], env)
            keyword = next((k for k in call.keywords if k.arg == "value"), None)
            return self._default(keyword.value, env) if keyword else [None]
        if method in CONFIG_DECLARERS and len(call.args) >= 3:
            return [_unflatten_known(v) for v in self.eval(call.args[2], env)]
        if method in ("to_dict", "asdict") or name in ("asdict", "dataclasses.asdict"):
            target = call.func.value if method == "to_dict" else (call.args or [None])[0]  # type: ignore[attr-defined]
            results = []
            for instance in self.eval(target, env) if target is not None else []:
                if isinstance(instance, _ConfigInstance):
                    results.append(_config_dict(instance, method or "asdict"))
                else:
                    results.append(DYNAMIC)
            return results or None
        if isinstance(call.func, ast.Name) and not call.args and not call.keywords:
            module = CONFIG_CLASSES.get(call.func.id)
            imported = self.imports.get(call.func.id, "")
            if module is None and imported.split(".")[0] in IMPORTABLE_PACKAGES:
                module = imported.rsplit(".", 1)[0]
            if module is not None:
                return [_ConfigInstance(call.func.id, module)]
        return None

    def _default(self, expr: ast.expr, env: _Env) -> list[Any]:
        dotted = _dotted(expr) or ""
        for prefix in ("Parameter.Type.", "ParameterType.PARAMETER_"):
            if dotted.startswith(prefix):
                return [_ParamType(dotted[len(prefix) :].lower())]
        return self.eval(expr, env)


@functools.lru_cache(maxsize=64)
def _config_dict_cached(name: str, module: str, how: str) -> Any:
    try:
        cls = getattr(importlib.import_module(module), name)
        instance = cls()
        if how == "to_dict":
            return instance.to_dict()
        return dataclasses.asdict(instance)
    except Exception:  # an unimportable or non-dataclass config: not knowable here
        return DYNAMIC


def _config_dict(instance: _ConfigInstance, how: str) -> Any:
    return _config_dict_cached(instance.name, instance.module, how)


def _unflatten_known(value: Any) -> Any:
    return value if isinstance(value, dict) else DYNAMIC


def node_interface(package_dir: Path | str, module_name: str) -> NodeInterface:
    """Parameters, topics and services declared in a node module, read with :mod:`ast`.

    Args:
        package_dir: the package's source directory (``ros2_ws/src/xai_nodes``).
        module_name: dotted module of the entry point (``xai_nodes.sim_node``).

    Raises:
        FileNotFoundError: the module has no source file under ``package_dir``.
        SyntaxError: the module does not parse.
    """
    base = Path(package_dir) / Path(*module_name.split("."))
    path = base.with_suffix(".py")
    if not path.is_file():
        path = base / "__init__.py"
    if not path.is_file():
        raise FileNotFoundError(f"no source for module {module_name} under {package_dir}")
    return _node_interface_cached(str(path), path.stat().st_mtime_ns, module_name)


@functools.lru_cache(maxsize=128)
def _node_interface_cached(path_text: str, _mtime: int, module_name: str) -> NodeInterface:
    path = Path(path_text)
    module = _NodeModule(path)
    interface = NodeInterface(module=module_name, path=path)
    kinds = {
        "create_publisher": ("publishers", 1, "topic"),
        "create_subscription": ("subscriptions", 1, "topic"),
        "create_service": ("services", 1, "srv_name"),
        "create_client": ("clients", 1, "srv_name"),
        "ActionServer": ("actions", 2, "action_name"),
        "ActionClient": ("actions", 2, "action_name"),
    }
    for call in module.calls():
        if any(
            isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name in CONFIG_DECLARERS
            for s in module.enclosing(call)
        ):
            continue  # the body of a declare_config defined in this module
        method = module.alias_of(call.func)
        dotted = _dotted(call.func) or ""
        if dotted in ("super().__init__", "Node.__init__", "rclpy.create_node", "create_node"):
            offset = 1 if dotted == "Node.__init__" else 0
            arg = call.args[offset] if len(call.args) > offset else None
            arg = arg or next((k.value for k in call.keywords if k.arg == "node_name"), None)
            value = module.eval_one(arg, {}) if arg is not None else DYNAMIC
            if isinstance(value, str) and interface.node_name is None:
                interface.node_name = value
        elif method == "declare_parameter":
            _collect_declare(module, call, interface)
        elif method == "declare_parameters":
            _collect_declare_many(module, call, interface)
        elif method in CONFIG_DECLARERS:
            _collect_declare_config(module, call, interface)
        elif method in kinds:
            attribute, index, keyword = kinds[method]
            target = getattr(interface, attribute)
            expr = call.args[index] if len(call.args) > index else None
            expr = expr or next((k.value for k in call.keywords if k.arg == keyword), None)
            for env in module.instances(call):
                for value in module.eval(expr, env) if expr is not None else [DYNAMIC]:
                    if isinstance(value, str):
                        target.setdefault(value, call.lineno)
                    else:
                        interface.unresolved_names.append(call.lineno)
    interface.unresolved_names = sorted(set(interface.unresolved_names))
    interface.unresolved_parameters = sorted(set(interface.unresolved_parameters))
    return interface


def _collect_declare(module: _NodeModule, call: ast.Call, interface: NodeInterface) -> None:
    name_expr = call.args[0] if call.args else None
    name_expr = name_expr or next((k.value for k in call.keywords if k.arg == "name"), None)
    for env in module.instances(call):
        names = module.eval(name_expr, env) if name_expr is not None else [DYNAMIC]
        defaults = module.call_hook(call, "declare_parameter", env) or [DYNAMIC]
        default = defaults[0] if len(defaults) == 1 else DYNAMIC
        for name in names:
            if isinstance(name, str):
                interface.parameters.setdefault(name, ParameterSpec(name, default, call.lineno))
            else:
                interface.unresolved_parameters.append(call.lineno)


def _collect_declare_many(module: _NodeModule, call: ast.Call, interface: NodeInterface) -> None:
    if len(call.args) < 2:
        interface.unresolved_parameters.append(call.lineno)
        return
    for env in module.instances(call):
        for namespace in module.eval(call.args[0], env):
            for entries in module.eval(call.args[1], env):
                if not isinstance(namespace, str) or not isinstance(entries, list | tuple):
                    interface.unresolved_parameters.append(call.lineno)
                    continue
                for entry in entries:
                    if isinstance(entry, list | tuple) and entry and isinstance(entry[0], str):
                        name = f"{namespace}.{entry[0]}" if namespace else entry[0]
                        default = entry[1] if len(entry) > 1 else None
                        interface.parameters.setdefault(
                            name, ParameterSpec(name, default, call.lineno)
                        )
                    else:
                        interface.unresolved_parameters.append(call.lineno)


def _collect_declare_config(module: _NodeModule, call: ast.Call, interface: NodeInterface) -> None:
    if len(call.args) < 3:
        interface.unresolved_parameters.append(call.lineno)
        return
    for env in module.instances(call):
        for prefix in module.eval(call.args[1], env):
            for defaults in module.eval(call.args[2], env):
                if not isinstance(prefix, str) or not isinstance(defaults, dict):
                    interface.unresolved_parameters.append(call.lineno)
                    continue
                for leaf, value in _flatten(defaults).items():
                    if value is None:  # declare_config skips None leaves
                        continue
                    name = f"{prefix}.{leaf}"
                    interface.parameters.setdefault(name, ParameterSpec(name, value, call.lineno))


# --------------------------------------------------------------------------------------------
# Launch files


class _LaunchModule(_Module):
    def __init__(self, path: Path, package: str | None, share_rel: str) -> None:
        super().__init__(path)
        self.package = package
        self.share_rel = share_rel  # where this file lies in share/<package>/
        #: Known launch argument values (given, else declared defaults) used in substitutions.
        self.values: dict[str, str] = {}

    def subst(self, value: Any) -> Any:
        """Replace launch arguments of known value; concatenate substitution lists."""
        if isinstance(value, LaunchArg):
            return self.values.get(value.name, value)
        if isinstance(value, list):
            return _concat([self.subst(v) for v in value])
        return value

    def _lookup(self, name: ast.Name, env: _Env) -> list[Any]:
        if name.id == "__file__" and name.id not in env and self.package:
            return [SharePath(self.package, self.share_rel)]
        return super()._lookup(name, env)

    def call_hook(self, call: ast.Call, name: str | None, env: _Env) -> list[Any] | None:
        short = (name or "").rsplit(".", 1)[-1]
        first = call.args[0] if call.args else None

        def keyword(key: str) -> ast.expr | None:
            return next((k.value for k in call.keywords if k.arg == key), None)

        if short in ("get_package_share_directory", "FindPackageShare", "get_package_share_path"):
            package = first or keyword("package") or keyword("package_name")
            values = self.eval(package, env)
            return [SharePath(p) if isinstance(p, str) else DYNAMIC for p in values]
        if short == "PathJoinSubstitution" and first is not None:
            results = []
            for parts in self.eval(first, env):
                parts = parts if isinstance(parts, list | tuple) else [parts]
                results.extend(self._eval_join([[self.subst(p)] for p in parts]))
            return results
        if short == "LaunchConfiguration":
            names = self.eval(first or keyword("variable_name"), env)
            return [LaunchArg(n) if isinstance(n, str) else DYNAMIC for n in names]
        if short == "TextSubstitution":
            return self.eval(keyword("text") or first, env)
        if short.endswith("LaunchDescriptionSource"):
            expr = first or keyword("launch_file_path")
            return [self.subst(v if isinstance(v, list) else [v]) for v in self.eval(expr, env)]
        if short == "ParameterFile":
            return self.eval(first or keyword("param_file"), env)
        if short == "ParameterValue":
            value_type = keyword("value_type")
            ros = {"str": "string", "int": "integer", "float": "double", "bool": "bool"}.get(
                _dotted(value_type) if value_type is not None else ""
            )
            return [_TypedValue(v, ros) for v in self.eval(first or keyword("value"), env)]
        return None


def _concat(value: Any) -> Any:
    """A launch substitution list is concatenated: ``[FindPackageShare(p), "/launch/x.py"]``."""
    if not isinstance(value, list | tuple):
        return value
    if not value:
        return ""
    if len(value) == 1:
        return value[0]
    head, *rest = value
    if all(isinstance(r, str) for r in rest):
        tail = "".join(rest)
        if isinstance(head, SharePath):
            return head.join(tail) if tail else head
        if isinstance(head, str):
            return head + tail
    return DYNAMIC


def _package_of(path: Path, package_root: Path) -> tuple[str | None, str]:
    """``(package, rel)`` of a file inside ``package_root/<package>/`` (installed alike)."""
    try:
        rel = path.resolve().relative_to(package_root.resolve())
    except ValueError:
        return None, path.name
    if len(rel.parts) < 2:
        return None, path.name
    package_dir = package_root / rel.parts[0]
    return _package_name(package_dir), str(Path(*rel.parts[1:]))


def parse_launch_file(
    path: Path | str,
    package_root: Path | str | None = None,
    arguments: Mapping[str, str] | None = None,
) -> LaunchSpec:
    """Read the nodes, arguments and includes of a Python launch file without importing launch.

    Args:
        path: ``<package_root>/<package>/launch/<name>.launch.py``.
        package_root: the workspace ``src`` directory (default: two levels above ``launch/``);
            used to resolve ``__file__``-relative paths.
        arguments: launch argument values to assume (as ``name:=value`` on the command line or
            from an including file); other arguments take their declared defaults.
    """
    path = Path(path)
    root = Path(package_root) if package_root is not None else path.resolve().parents[2]
    spec = LaunchSpec(path=path)
    package, rel = _package_of(path, root)
    try:
        module = _LaunchModule(path, package, posixpath.dirname(rel.replace("\\", "/")))
    except SyntaxError as error:
        spec.problems.append(f"does not parse: {error}")
        return spec
    calls = [(module.resolve_callee(c.func) or "").rsplit(".", 1)[-1] for c in module.calls()]
    classified = list(zip(calls, module.calls(), strict=True))
    for short, call in classified:  # arguments first: their values feed the substitutions
        if short == "DeclareLaunchArgument":
            _collect_argument(module, call, spec)
    module.values = {k: v for k, v in spec.arguments.items() if isinstance(v, str)}
    module.values.update(arguments or {})
    spec.values = dict(module.values)
    for short, call in classified:
        if short == "Node":
            for env in module.instances(call):
                spec.nodes.extend(_node_specs(module, call, env))
        elif short == "LaunchConfiguration":
            if any(k.arg == "default" for k in call.keywords) or len(call.args) > 1:
                continue
            arg = call.args[0] if call.args else None
            arg = arg or next((k.value for k in call.keywords if k.arg == "variable_name"), None)
            for env in module.instances(call):
                for name in module.eval(arg, env):
                    if isinstance(name, str):
                        lines = spec.used_arguments.setdefault(name, [])
                        if call.lineno not in lines:
                            lines.append(call.lineno)
        elif short == "IncludeLaunchDescription":
            for env in module.instances(call):
                spec.includes.extend(_include_specs(module, call, env))
    return spec


def _collect_argument(module: _LaunchModule, call: ast.Call, spec: LaunchSpec) -> None:
    name_expr = call.args[0] if call.args else None
    name_expr = name_expr or next((k.value for k in call.keywords if k.arg == "name"), None)
    default_expr = call.args[1] if len(call.args) > 1 else None
    default_expr = default_expr or next(
        (k.value for k in call.keywords if k.arg == "default_value"), None
    )
    for env in module.instances(call):
        for name in module.eval(name_expr, env):
            if not isinstance(name, str):
                continue
            if default_expr is None:
                spec.arguments[name] = None
            else:
                spec.arguments[name] = module.subst(module.eval_one(default_expr, env))


def _node_specs(module: _LaunchModule, call: ast.Call, env: _Env) -> list[NodeSpec]:
    keywords: dict[str, list[Any]] = {}
    for keyword in call.keywords:
        if keyword.arg is not None:
            keywords[keyword.arg] = module.eval(keyword.value, env)
            continue
        for extra in module.eval(keyword.value, env)[:1]:
            if isinstance(extra, dict):
                keywords.update({str(k): [v] for k, v in extra.items()})
    aliases = {"node_executable": "executable", "node_name": "name", "node_namespace": "namespace"}
    for old, new in aliases.items():
        if old in keywords:
            keywords.setdefault(new, keywords.pop(old))

    def options(key: str) -> list[Any]:
        return [module.subst(v) for v in keywords.get(key, [None])]

    combos = _product([options("package"), options("executable"), options("name")]) or [
        (DYNAMIC, DYNAMIC, DYNAMIC)
    ]
    specs = []
    for package, executable, name in combos:
        namespace = options("namespace")
        spec = NodeSpec(
            package=package,
            executable=executable,
            name=name,
            namespace=namespace[0] if len(namespace) == 1 else DYNAMIC,
            line=call.lineno,
        )
        parameters = keywords.get("parameters", [[]])
        if len(parameters) != 1 or not isinstance(parameters[0], list | tuple):
            spec.dynamic_parameters += 1
        else:
            for item in parameters[0]:
                if isinstance(item, dict):
                    spec.overrides.update(_flatten({str(k): v for k, v in item.items()}))
                    continue
                item = module.subst(item)
                if isinstance(item, str | SharePath | LaunchArg):
                    spec.parameter_files.append(item)
                else:
                    spec.dynamic_parameters += 1
        for remaps in keywords.get("remappings", [[]]):
            if not isinstance(remaps, list | tuple):
                spec.remappings.append((DYNAMIC, DYNAMIC))
                continue
            for pair in remaps:
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    spec.remappings.append((module.subst(pair[0]), module.subst(pair[1])))
                else:
                    spec.remappings.append((DYNAMIC, DYNAMIC))
        condition = next((k.value for k in call.keywords if k.arg == "condition"), None)
        spec.condition = ast.unparse(condition) if condition is not None else None
        specs.append(spec)
    return specs


def _include_specs(module: _LaunchModule, call: ast.Call, env: _Env) -> list[IncludeSpec]:
    source = call.args[0] if call.args else None
    source = source or next(
        (k.value for k in call.keywords if k.arg == "launch_description_source"), None
    )
    arguments_expr = call.args[1] if len(call.args) > 1 else None
    arguments_expr = arguments_expr or next(
        (k.value for k in call.keywords if k.arg == "launch_arguments"), None
    )
    arguments: dict[str, Any] = {}
    if arguments_expr is not None:
        values = module.eval(arguments_expr, env)
        pairs = values[0] if len(values) == 1 else DYNAMIC
        if isinstance(pairs, dict):
            pairs = list(pairs.items())
        if isinstance(pairs, list | tuple):
            for pair in pairs:
                if isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str):
                    arguments[pair[0]] = module.subst(pair[1])
    return [
        IncludeSpec(path=module.subst(p), arguments=arguments, line=call.lineno)
        for p in module.eval(source, env)
    ]


# --------------------------------------------------------------------------------------------
# Parameter files


def _yaml_sections(path: Path) -> dict[str, dict[str, Any]]:
    """Node name key -> flattened ``ros__parameters`` of a ROS 2 parameter file.

    Raises:
        ValueError: the file is not valid YAML or not a mapping.
    """
    try:
        data = yaml.load(path.read_text(), Loader=_RclYamlLoader)
    except yaml.YAMLError as error:
        raise ValueError(f"not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("top level is not a mapping of node names")
    sections: dict[str, dict[str, Any]] = {}

    def visit(node: Mapping[Any, Any], names: list[str]) -> None:
        for key, value in node.items():
            if not isinstance(value, dict):
                continue
            if key == "ros__parameters":
                sections["/".join(names).replace("//", "/")] = _flatten(value)
            else:
                visit(value, [*names, str(key)])

    visit(data, [])
    return sections


def yaml_parameters(yaml_path: Path | str) -> dict[str, set[str]]:
    """Node name -> dotted parameter names of a ROS 2 parameter YAML file.

    Raises:
        ValueError: the file is not valid YAML or not a mapping.
    """
    return {node: set(values) for node, values in _yaml_sections(Path(yaml_path)).items()}


def _section_matches(section: str, node_name: str | None, namespace: str | None) -> bool:
    """Whether a parameter-file section key applies to the node (rcl's wildcard rules)."""
    if section in ("/**", "**"):
        return True
    if node_name is None:
        return False
    ns = "/" + namespace.strip("/") if namespace and namespace.strip("/") else ""
    fqn = f"{ns}/{node_name}"
    key = section if section.startswith("/") else "/" + section
    if key == fqn:
        return True
    if key.startswith("/**/"):
        return fqn.endswith("/" + key[4:])
    pattern = re.escape(key).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(pattern, fqn) is not None


# --------------------------------------------------------------------------------------------
# The checks


class _Workspace:
    """Packages of a workspace ``src`` directory, read on demand."""

    def __init__(self, root: Path, external: frozenset[str]) -> None:
        self.root = root
        self.external = external
        self._dirs: dict[str, Path] | None = None

    def package_dir(self, package: str) -> Path | None:
        if self._dirs is None:
            self._dirs = {}
            for xml in sorted(self.root.glob("*/package.xml")):
                self._dirs[_package_name(xml.parent)] = xml.parent
            for setup in sorted(self.root.glob("*/setup.py")):
                self._dirs.setdefault(setup.parent.name, setup.parent)
        return self._dirs.get(package)

    def packages(self) -> list[str]:
        self.package_dir("")
        return sorted(self._dirs or {})

    def resolve(self, path: Any, relative_to: Path) -> tuple[Path | None, str | None]:
        """Source file of a parameter / launch file path, or (None, reason)."""
        if isinstance(path, SharePath):
            package_dir = self.package_dir(path.package)
            if package_dir is None:
                return None, f"package '{path.package}' is not in {self.root}"
            installed = installed_files(package_dir)
            if installed is None:
                source = package_dir / path.rel
                return (source, None) if source.is_file() else (None, f"{source} does not exist")
            if path.rel in installed:
                source = installed[path.rel]
                return (source, None) if source.is_file() else (None, f"{source} does not exist")
            mirror = package_dir / path.rel
            reason = (
                f"{mirror.relative_to(self.root)} exists but {path.package}/setup.py does not "
                f"install it to {path}"
                if mirror.is_file()
                else f"{path} is not installed by {path.package}/setup.py and "
                f"{mirror.relative_to(self.root)} does not exist"
            )
            return None, reason
        if isinstance(path, str):
            candidate = Path(path) if Path(path).is_absolute() else relative_to / path
            return (candidate, None) if candidate.is_file() else (None, f"{path} does not exist")
        return None, None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _node_label(node: NodeSpec, interface: NodeInterface | None) -> str:
    name = node.name if isinstance(node.name, str) else None
    name = name or (interface.node_name if interface else None) or "?"
    package = node.package if isinstance(node.package, str) else "<dynamic>"
    executable = node.executable if isinstance(node.executable, str) else "<dynamic>"
    return f"node '{name}' ({package}/{executable}, line {node.line})"


def _unresolved_note(interface: NodeInterface, what: str) -> str:
    lines = interface.unresolved_parameters if what == "parameters" else interface.unresolved_names
    if not lines:
        return ""
    listed = ", ".join(str(n) for n in lines)
    return (
        f"; note: {interface.path.name} line(s) {listed} declare {what} whose names the checker "
        "cannot resolve (use literals, or extend xai_core.launch_check.CONFIG_CLASSES)"
    )


def _check_values(
    where: str,
    values: Mapping[str, Any],
    interface: NodeInterface,
    arguments: Mapping[str, Any] | None = None,
    from_yaml: bool = False,
) -> list[str]:
    """Undeclared names and ROS type mismatches of parameter values given to a node.

    Args:
        where: where the values come from, for the messages.
        values: dotted parameter name -> value (YAML value, literal, LaunchArg, ...).
        interface: the node they are given to.
        arguments: the launch file's declared arguments (for LaunchArg values' defaults).
        from_yaml: values read from a parameter file (PyYAML types, nulls refused by rcl).
    """
    problems = []
    declared = {**BUILTIN_PARAMETERS, **interface.parameters}
    for name, value in values.items():
        if name not in declared:
            problems.append(
                f"parameter '{name}' {where} is not declared by {interface.path.name}"
                f"{_suggest(name, declared)}{_unresolved_note(interface, 'parameters')}"
            )
            continue
        expected = declared[name].ros_type
        if isinstance(value, LaunchArg):
            default = (arguments or {}).get(value.name)
            if not isinstance(default, str):
                continue
            got = _launch_value_type(default)
            shown = f"launch argument '{value.name}' (default {default!r})"
        elif isinstance(value, _TypedValue):
            got, shown = value.ros_type, f"ParameterValue of type {value.ros_type}"
        elif from_yaml:
            if value is None:
                problems.append(f"parameter '{name}' {where} has no value (rcl refuses nulls)")
                continue
            got, shown = _ros_type(value), repr(value)
        else:
            got, shown = _ros_type(value), repr(value)
        if expected and got and expected != got:
            problems.append(
                f"parameter '{name}' {where}: {shown} is of ROS type {got}, but "
                f"{interface.path.name} declares it as {expected} "
                f"(default {declared[name].default!r}); rclpy refuses it at start-up"
            )
    return problems


def check_launch(
    launch_path: Path | str,
    package_root: Path | str | None = None,
    external_packages: Iterable[str] = EXTERNAL_PACKAGES,
) -> list[str]:
    """Problems of one launch file against the workspace's packages, nodes and YAML files.

    The file is checked with its arguments' default values. Each included launch file of the
    workspace is checked again with the arguments this file passes to it (e.g. ``robot:=hsr``
    selecting other parameter files); only problems that its own check with defaults does not
    already report are added, prefixed with the include.

    Args:
        launch_path: a ``*.launch.py`` file.
        package_root: the workspace ``src`` directory (default: two levels above ``launch/``).
        external_packages: packages outside the workspace that may be started unchecked.

    Returns:
        One line per problem, each naming the launch file, the node and the item; empty when
        the launch file is consistent.
    """
    launch_path = Path(launch_path)
    root = Path(package_root) if package_root is not None else launch_path.resolve().parents[2]
    workspace = _Workspace(root, frozenset(external_packages))
    return _check_file(launch_path, workspace, None, 0)


def _check_file(
    path: Path, workspace: _Workspace, arguments: Mapping[str, str] | None, depth: int
) -> list[str]:
    spec = parse_launch_file(path, workspace.root, arguments)
    label = _rel(path, workspace.root)
    problems = [f"{label}: {p}" for p in spec.problems]
    for name, lines in sorted(spec.undeclared_arguments.items()):
        problems.append(
            f"{label}: launch argument '{name}' is used (LaunchConfiguration, line "
            f"{', '.join(map(str, lines))}) but never declared with DeclareLaunchArgument"
            f"{_suggest(name, spec.arguments)}"
        )
    for include in spec.includes:
        problems.extend(_check_include(label, include, spec, workspace, path.parent, depth))
    for node in spec.nodes:
        problems.extend(f"{label}: {p}" for p in _check_node(node, spec, workspace, path.parent))
    return problems


def _check_include(
    label: str,
    include: IncludeSpec,
    spec: LaunchSpec,
    workspace: _Workspace,
    here: Path,
    depth: int,
) -> list[str]:
    where = f"{label}: include of {include.path} (line {include.line})"
    if not isinstance(include.path, str | SharePath):
        return []
    source, reason = workspace.resolve(include.path, here)
    if source is None:
        return [f"{where}: {reason}"] if reason else []
    included = parse_launch_file(source, workspace.root)
    problems = []
    for name in sorted(set(include.arguments) - set(included.arguments)):
        problems.append(
            f"{where}: passes launch argument '{name}' that {source.name} does not declare"
            f"{_suggest(name, included.arguments)}"
        )
    for name, default in sorted(included.arguments.items()):
        if default is None and name not in include.arguments and name not in spec.arguments:
            problems.append(
                f"{where}: {source.name} requires launch argument '{name}' (no default_value), "
                "which is not passed"
            )
    # Launch configurations are shared with the included file: its unset arguments take the
    # values this file has for them, then the ones passed.
    passed = {k: v for k, v in spec.values.items() if k in included.arguments}
    passed.update(
        {
            k: v
            for k, v in include.arguments.items()
            if isinstance(v, str) and k in included.arguments
        }
    )
    changed = {k: v for k, v in passed.items() if included.values.get(k) != v}
    if changed and depth < 4:
        baseline = set(_check_file(source, workspace, None, depth + 1))
        shown = ", ".join(f"{k}:={v!r}" for k, v in sorted(changed.items()))
        for problem in _check_file(source, workspace, passed, depth + 1):
            if problem not in baseline:
                problems.append(f"{where} with {shown}: {problem}")
    return problems


def _check_node(node: NodeSpec, spec: LaunchSpec, workspace: _Workspace, here: Path) -> list[str]:
    if not isinstance(node.package, str) or not isinstance(node.executable, str):
        return []
    package_dir = workspace.package_dir(node.package)
    if package_dir is None:
        if node.package in workspace.external:
            return []
        return [
            f"{_node_label(node, None)}: package '{node.package}' is not in the workspace "
            f"({', '.join(workspace.packages())}) nor a known external package"
            f"{_suggest(node.package, workspace.packages())}"
        ]
    if not (package_dir / "setup.py").is_file():
        return []  # an ament_cmake package: executables come from CMake, not checked here
    scripts = console_scripts(package_dir / "setup.py")
    if node.executable not in scripts:
        return [
            f"{_node_label(node, None)}: executable '{node.executable}' is not a console_scripts "
            f"entry point of {node.package} (setup.py has: {', '.join(sorted(scripts)) or 'none'})"
            f"{_suggest(node.executable, scripts)}"
        ]
    module_name = scripts[node.executable].split(":", 1)[0].strip()
    try:
        interface = node_interface(package_dir, module_name)
    except (FileNotFoundError, SyntaxError) as error:
        return [f"{_node_label(node, None)}: cannot read the node: {error}"]
    who = _node_label(node, interface)
    name = node.name if isinstance(node.name, str) else interface.node_name
    namespace = node.namespace if isinstance(node.namespace, str) else None
    problems: list[str] = []
    provided: set[str] = set(node.overrides)

    dynamic_files = node.dynamic_parameters
    for parameter_file in node.parameter_files:
        if isinstance(parameter_file, LaunchArg):  # an argument without a usable default
            dynamic_files += 1
            continue
        source, reason = workspace.resolve(parameter_file, here)
        if source is None:  # unknown contents: required parameters may be in it
            dynamic_files += 1
            if reason:
                problems.append(f"{who}: parameter file {parameter_file}: {reason}")
            continue
        shown = _rel(source, workspace.root)
        try:
            sections = _yaml_sections(source)
        except ValueError as error:
            dynamic_files += 1
            problems.append(f"{who}: parameter file {shown}: {error}")
            continue
        matching = {k: v for k, v in sections.items() if _section_matches(k, name, namespace)}
        if not matching:
            problems.append(
                f"{who}: parameter file {shown} has no section for node '{name}' (sections: "
                f"{', '.join(sorted(sections)) or 'none'}){_suggest(name or '', sections)}; "
                "its parameters would not be applied"
            )
        for section, values in matching.items():
            provided.update(values)
            where = f"in {shown} [{section}]"
            problems.extend(
                f"{who}: {p}" for p in _check_values(where, values, interface, from_yaml=True)
            )
    problems.extend(
        f"{who}: {p}"
        for p in _check_values(
            "in the launch override dict", node.overrides, interface, spec.values
        )
    )
    if not dynamic_files:
        for parameter in interface.parameters.values():
            if parameter.required and parameter.name not in provided:
                problems.append(
                    f"{who}: parameter '{parameter.name}' has no default in "
                    f"{interface.path.name} (line {parameter.line}) and is set by no parameter "
                    "file or override"
                )

    used = {_expand_name(n, namespace, name): n for n in interface.names}
    for source_name, target in node.remappings:
        for item in (source_name, target):
            if isinstance(item, str) and "{" not in item and not _ROS_NAME.match(item):
                problems.append(
                    f"{who}: remapping {source_name!r} -> {target!r}: {item!r} is not a valid "
                    "ROS name"
                )
        if not isinstance(source_name, str):
            continue
        if _expand_name(source_name, namespace, name) not in used:
            problems.append(
                f"{who}: remapping '{source_name}' -> '{target}': {interface.path.name} neither "
                f"publishes, subscribes nor serves '{source_name}' (it uses: "
                f"{', '.join(sorted(interface.names)) or 'nothing'})"
                f"{_suggest(source_name, interface.names)}{_unresolved_note(interface, 'topics')}"
            )
    return problems


def check_configs(config_dir: Path | str, package_root: Path | str | None = None) -> list[str]:
    """Every section of every parameter YAML in ``config_dir`` against the node it names.

    A section key is matched to a workspace node by its default node name, its executable name,
    or a ``name=`` given to that executable in the package's launch files; files whose stem is
    an executable also check ``/**`` sections against that node. Files without
    ``ros__parameters`` (e.g. topic maps) are skipped.

    Returns:
        One line per problem (file, node, parameter); empty when all keys are declared with
        matching types and every required parameter is set.
    """
    config_dir = Path(config_dir)
    root = Path(package_root) if package_root is not None else config_dir.resolve().parents[1]
    workspace = _Workspace(root, EXTERNAL_PACKAGES)
    by_name: dict[str, NodeInterface] = {}
    by_executable: dict[str, NodeInterface] = {}
    for package in workspace.packages():
        package_dir = workspace.package_dir(package)
        assert package_dir is not None
        for executable, target in console_scripts(package_dir / "setup.py").items():
            try:
                interface = node_interface(package_dir, target.split(":", 1)[0].strip())
            except (FileNotFoundError, SyntaxError):
                continue
            by_executable[executable] = interface
            if interface.node_name:
                by_name.setdefault(interface.node_name, interface)
    launch_dir = config_dir.parent / "launch"
    for launch in sorted(launch_dir.glob("*.launch.py")):
        for node in parse_launch_file(launch, root).nodes:
            if isinstance(node.name, str) and node.executable in by_executable:
                by_name.setdefault(node.name, by_executable[node.executable])

    problems = []
    for path in sorted([*config_dir.rglob("*.yaml"), *config_dir.rglob("*.yml")]):
        shown = _rel(path, root)
        try:
            sections = _yaml_sections(path)
        except ValueError as error:
            problems.append(f"{shown}: {error}")
            continue
        for section, values in sections.items():
            key = section.strip("/").rsplit("/", 1)[-1]
            if section in ("/**", "**"):
                interface = by_executable.get(path.stem)
                if interface is None:
                    continue
            else:
                interface = by_name.get(key) or by_executable.get(key)
            if interface is None:
                problems.append(
                    f"{shown}: section '{section}' names no node of the workspace "
                    f"(nodes: {', '.join(sorted(by_name))}){_suggest(key, by_name)}"
                )
                continue
            where = f"in {shown} [{section}]"
            problems.extend(
                f"{shown}: node '{key}': {p}"
                for p in _check_values(where, values, interface, from_yaml=True)
            )
            for parameter in interface.parameters.values():
                if parameter.required and parameter.name not in values:
                    problems.append(
                        f"{shown}: node '{key}': required parameter '{parameter.name}' (no "
                        f"default in {interface.path.name}) is missing"
                    )
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m xai_core.launch_check LAUNCH_FILE... [--configs DIR]``: print the problems."""
    import argparse

    parser = argparse.ArgumentParser(description="Check ROS 2 launch files without launch.")
    parser.add_argument("launch_files", nargs="*", type=Path, help="*.launch.py files")
    parser.add_argument("--configs", type=Path, help="also check every YAML in this config dir")
    parser.add_argument("--package-root", type=Path, help="workspace src (default: inferred)")
    args = parser.parse_args(argv)
    problems = [p for f in args.launch_files for p in check_launch(f, args.package_root)]
    if args.configs:
        problems += check_configs(args.configs, args.package_root)
    print("\n".join(problems) if problems else "no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
