"""The shape of the code: a pure domain, nothing created on import."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import typing
from pathlib import Path

from tests.conftest import REPO

FORBIDDEN = ("telegram", "aiosqlite", "storage", "aiohttp")


def test_domain_imports_neither_telegram_nor_storage() -> None:
    modules = sorted(
        "bot.domain." + p.stem
        for p in (REPO / "bot" / "domain").glob("*.py")
        if p.stem != "__init__"
    )
    assert modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == ""


def test_importing_everything_creates_no_files(tmp_path: object) -> None:
    code = (
        "import os, pkgutil, importlib, bot, storage\n"
        "for pkg in (bot, storage):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if info.name not in ('bot.__main__',):\n"
        "            importlib.import_module(info.name)\n"
        "print(sorted(os.listdir('.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path), check=True
    )
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------- layering, by reading
SOURCES = sorted(
    p for top in ("bot", "storage") for p in (REPO / top).rglob("*.py") if ".venv" not in p.parts
)
#: The largest a source module may grow; past it, split by what changes together.
MAX_LINES = 400
#: Bot API methods that start a new message in some chat.
SENDS = frozenset(
    {
        "send_message",
        "send_photo",
        "send_location",
        "send_document",
        "send_media_group",
        "copy_message",
        "forward_message",
    }
)
SQL = re.compile(
    r"^\s*(SELECT\b.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX)|PRAGMA\b)",
    re.DOTALL,  # the code writes SQL in capitals; "Select a station from…" is no query
)


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def parsed() -> list[tuple[Path, str, ast.AST]]:
    return [(p, module_of(p), ast.parse(p.read_text(encoding="utf-8"))) for p in SOURCES]


def test_no_source_module_is_over_the_size_limit() -> None:
    sizes = {module_of(p): len(p.read_text(encoding="utf-8").splitlines()) for p in SOURCES}
    assert len(sizes) > 50
    over = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not over, f"split these modules (over {MAX_LINES} lines): {over}"


def test_handlers_and_domain_import_no_storage() -> None:
    bad = {
        name: sorted(m for m in imported(tree) if m.split(".")[0] == "storage")
        for _, name, tree in parsed()
        if name.startswith(("bot.handlers", "bot.domain"))
    }
    assert not {k: v for k, v in bad.items() if v}


def test_domain_imports_no_framework() -> None:
    bad = {
        name: sorted(m for m in imported(tree) if m.split(".")[0] in FORBIDDEN)
        for _, name, tree in parsed()
        if name.startswith("bot.domain")
    }
    assert not {k: v for k, v in bad.items() if v}


def test_no_sql_outside_storage() -> None:
    found = sorted(
        f"{name}:{node.lineno}"
        for _, name, tree in parsed()
        if not name.startswith("storage")
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value)
    )
    assert not found, f"SQL outside storage/: {found}"


def sends_in(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SENDS
        and receiver(node.func.value).endswith("bot")
    ]


def receiver(node: ast.expr) -> str:
    """`context.bot` -> "bot", `self._bot` -> "_bot", `bot` -> "bot"; else ""."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


#: Modules that may start a message outside the outbox: the delivery layer, and the one reply
#: helper (bot.handlers.common.send and its kin answer the update's own chat).
MAY_SEND = ("bot.delivery", "bot.handlers.common", "bot.emulator")


def test_only_delivery_sends_outside_a_reply_to_the_current_update() -> None:
    found = {
        name: lines
        for _, name, tree in parsed()
        if not name.startswith(MAY_SEND) and (lines := sends_in(tree))
    }
    assert not found, f"send through bot.delivery (the outbox) or reply via common: {found}"


def test_the_layering_checks_see_what_they_forbid() -> None:
    """The checks above must fail on what they are for (a check that cannot fail is none)."""
    assert sends_in(ast.parse("async def f(context):\n await context.bot.send_message(1, 'x')"))
    assert SQL.match("SELECT id FROM cases WHERE x = ?")
    assert SQL.match("\n  INSERT OR IGNORE INTO t VALUES (?)")
    assert not SQL.match("Select a station from the list")
    assert imported(ast.parse("from storage.cases import x\nimport storage")) == {
        "storage.cases",
        "storage",
    }


def test_lower_layers_never_import_upper_ones() -> None:
    """Handlers sit on services, services on domain and storage; storage knows only domain."""
    upper = {
        "storage": ("bot",),  # except bot.domain, below
        "bot.domain": ("bot.handlers", "bot.services", "bot.delivery", "bot.app"),
        "bot.services": ("bot.handlers", "bot.app", "bot.cli"),
        "bot.delivery": ("bot.handlers", "bot.app", "bot.cli"),
    }
    bad: dict[str, list[str]] = {}
    for _, name, tree in parsed():
        for layer, forbidden in upper.items():
            if name == layer or name.startswith(layer + "."):
                wrong = sorted(
                    m
                    for m in imported(tree)
                    if m.startswith(forbidden) and not m.startswith("bot.domain")
                )
                if wrong:
                    bad[name] = wrong
    assert not bad, f"an import against the layers: {bad}"


# ---------------------------------------------------------------------- handlers call services
def repositories() -> dict[str, frozenset[str]]:
    """What a handler must not reach through the Services container: its attributes that are
    storage objects (repositories, the database) under "", and each service's own storage
    attributes under the service's name (`services.desk.cases`), read from the classes."""
    from bot.services import Services

    def in_storage(hints: dict[str, object]) -> frozenset[str]:
        return frozenset(
            name
            for name, hint in hints.items()
            if str(getattr(hint, "__module__", "")).split(".")[0] == "storage"
        )

    # LazyDatabase (bot.services) is the database too, opened late.
    found = {"": in_storage(typing.get_type_hints(Services)) | {"database"}}
    for name, hint in typing.get_type_hints(Services).items():
        if isinstance(hint, type) and hint.__module__.startswith("bot.services."):
            # A service keeps what it is given under the parameter's name (self.cases = cases).
            found[name] = in_storage(typing.get_type_hints(vars(hint)["__init__"]))
    return found


def repository_uses(tree: ast.AST, repos: dict[str, frozenset[str]]) -> list[str]:
    """`services.staff.x`, `context.services.audit.x`, `turn.services.desk.cases.x`, and a
    service held under its own name (`desk = context.services.desk; desk.cases.x`)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = receiver(node.value)
        if owner == "services" and node.attr in repos[""]:
            found.append(f"{node.lineno}: services.{node.attr}")
        elif node.attr in repos.get(owner, frozenset()):
            found.append(f"{node.lineno}: {owner}.{node.attr}")
    return found


def test_handlers_call_services_not_repositories() -> None:
    """Handlers parse, call one service and render: no repository, even through Services."""
    repos = repositories()
    found = {
        name: uses
        for _, name, tree in parsed()
        if name.startswith("bot.handlers") and (uses := repository_uses(tree, repos))
    }
    assert not found, f"call a service in bot/services instead: {found}"


def test_the_repository_check_sees_what_it_forbids() -> None:
    repos = repositories()
    assert {"staff", "audit", "promises", "cases", "residents", "db"} <= repos[""]
    assert {"cases", "staff"} <= repos["desk"]
    assert not {"staff_access", "desk"} & repos[""]
    code = (
        "async def f(context, services, desk):\n"
        " await services.staff.active()\n"
        " await context.services.audit.log('x', 'view', {})\n"
        " await context.services.desk.cases.get('A')\n"
        " await desk.staff.get(1)\n"
        " await services.desk.view(None, 'A')\n"
        " await services.staff_access.listing(None)\n"
    )
    assert sorted(repository_uses(ast.parse(code), repos)) == [
        "2: services.staff",
        "3: services.audit",
        "4: desk.cases",
        "5: desk.staff",
    ]
