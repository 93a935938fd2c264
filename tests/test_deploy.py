"""Deployment files and operator docs: Dockerfile, compose, systemd, .env.example, proxy, docs.

CI has no Docker engine, so the Dockerfile is read as text: it must install with the very
make rule that developers and CI use, and start `trygghetsbot run` as a user other than root.
Settings and deployment-file keys are walked from the models, so a new one without an
example or documentation fails here.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.cli import build_parser, cmd_run
from bot.domain.deployment import Deployment
from bot.settings import ENV_PREFIX, Settings, load_settings
from bot.webhook import PATH as WEBHOOK_PATH

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCS = ROOT / "docs"
GUIDES = ("kommunpolis.md", "admin.md", "it.md")
ROOT_USERS = {"root", "0"}


# ---------------------------------------------------------------------- Dockerfile
@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def dockerfile_stages(path: Path = DEPLOY / "Dockerfile") -> list[list[Instruction]]:
    """The instructions of each build stage, continuation lines joined, comments dropped."""
    stages: list[list[Instruction]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stages.append([])
        assert stages, "the Dockerfile must start with FROM"
        stages[-1].append(Instruction(keyword.upper(), args.strip()))
    return stages


def final_stage() -> list[Instruction]:
    return dockerfile_stages()[-1]


def last(stage: list[Instruction], keyword: str) -> str | None:
    found = [i.args for i in stage if i.keyword == keyword]
    return found[-1] if found else None


def env_of(stage: list[Instruction]) -> dict[str, str]:
    """ENV key=value pairs of one stage (the legacy `ENV key value` form is not used)."""
    env: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.args):
                key, sep, value = pair.partition("=")
                assert sep, f"ENV {instruction.args!r}: use the key=value form"
                env[key] = value
    return env


def make_dry_run(*variables: str) -> list[str]:
    """The commands `make -n install VARIABLES...` would run, as the Makefile defines them."""
    make = shutil.which("make")
    assert make is not None, "make is needed (CI runs everything through it)"
    # Only the Makefile and the command line decide: no variables from a calling make or shell.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MAKE", "MFLAGS")) and k not in {"PYTHON", "VENV", "EXTRAS"}
    }
    result = subprocess.run(
        [make, "--no-print-directory", "-n", "install", *variables],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def editable_install(commands: list[str], venv: str) -> list[str]:
    """The arguments of the one `pip install -e` into `venv` among `commands`."""
    found = [
        shlex.split(c)
        for c in commands
        if c.startswith(f"{venv}/bin/python -m pip install") and " -e " in c
    ]
    assert len(found) == 1, commands
    return found[0]


def test_dockerfile_installs_with_the_makefile_rule() -> None:
    runs = [i.args for stage in dockerfile_stages() for i in stage if i.keyword == "RUN"]
    installs = [shlex.split(run) for run in runs if run.startswith("make install")]
    assert len(installs) == 1, "the image installs with exactly one `make install ...`"
    assert not [run for run in runs if "pip install" in run], "no install that bypasses make"
    command = installs[0]
    variables = dict(word.split("=", 1) for word in command[2:])
    assert set(variables) == {"VENV", "EXTRAS"}, command
    venv, extras = variables["VENV"], variables["EXTRAS"]

    # What the Makefile's install rule runs with those variables: a venv at VENV, and the
    # project installed (editable, as for developers) with exactly those extras.
    commands = make_dry_run(*command[2:])
    assert [c for c in commands if c.endswith(f" -m venv {venv}")], commands
    assert editable_install(commands, venv)[-2:] == ["-e", f".[{extras}]"]
    # ... and without them, what CI and developers get.
    defaults = make_dry_run("VENV=/nonexistent/venv")
    assert editable_install(defaults, "/nonexistent/venv")[-2:] == ["-e", ".[dev]"]

    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(extras.split(",")) <= set(optional), f"unknown extra in {extras!r}"
    assert "dev" not in extras.split(","), "test tools do not belong in the image"

    # The runtime stage gets that venv at the same path (the install is editable) and runs it.
    runtime = final_stage()
    copies = [shlex.split(i.args) for i in runtime if i.keyword == "COPY"]
    assert [c for c in copies if c[0].startswith("--from=") and c[1:] == [venv, venv]]
    assert env_of(runtime)["PATH"].startswith(f"{venv}/bin:")


def test_image_entry_point_is_trygghetsbot_run() -> None:
    runtime = final_stage()
    entrypoint, cmd = last(runtime, "ENTRYPOINT"), last(runtime, "CMD")
    assert entrypoint is not None, "ENTRYPOINT in the exec (JSON) form"
    command = json.loads(entrypoint) + (json.loads(cmd) if cmd else [])
    assert command == ["trygghetsbot", "run"]

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["trygghetsbot"] == "bot.cli:main"
    assert build_parser().parse_args(command[1:]).func is cmd_run


def test_image_runs_as_a_user_other_than_root() -> None:
    runtime = final_stage()
    user = last(runtime, "USER")
    assert user is not None, "the runtime stage sets USER"
    assert user.split(":")[0] not in ROOT_USERS


def test_image_keeps_data_on_a_volume_and_has_a_healthcheck() -> None:
    runtime = final_stage()
    volume = last(runtime, "VOLUME")
    assert volume is not None
    volumes = json.loads(volume) if volume.startswith("[") else volume.split()
    env = env_of(runtime)
    for name in ("TRYGG_DATABASE", "TRYGG_MEDIA_DIR"):
        assert any(env[name].startswith(v.rstrip("/") + "/") for v in volumes), name

    healthcheck = last(runtime, "HEALTHCHECK")
    assert healthcheck is not None
    assert "CMD" in healthcheck.split()
    # The check follows TRYGG_METRICS_PORT if .env changes it; the image's port is the default.
    assert "os.environ.get('TRYGG_METRICS_PORT')" in healthcheck
    assert f"or '{env['TRYGG_METRICS_PORT']}'" in healthcheck
    assert "127.0.0.1:{port}/health" in healthcheck
    assert env["TRYGG_METRICS_LISTEN"] == "0.0.0.0"  # reachable from the Docker network

    fields = set(Settings.model_fields)
    for name in env:
        if name.startswith(ENV_PREFIX):
            assert name.removeprefix(ENV_PREFIX).lower() in fields, f"{name} is not a setting"


def test_image_has_a_font_for_the_statistics_chart() -> None:
    """bot/charts.py looks for these fonts; without one, å, ä and ö come out as boxes."""
    from bot.charts import FONT_FILES

    runtime = "\n".join(i.args for i in final_stage() if i.keyword == "RUN")
    assert "fonts-dejavu-core" in runtime
    assert "DejaVuSans.ttf" in FONT_FILES


def test_dockerignore_keeps_local_data_and_secrets_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "data", ".env"} <= ignored


# ---------------------------------------------------------------------- settings example
ENV_LINE = re.compile(r"^#?\s*(TRYGG_[A-Z0-9_]+)=(.*)$")


def env_example() -> list[tuple[str, str]]:
    """(name, value) for every setting in .env.example, commented out or not."""
    lines = (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines()
    return [(m[1], m[2].strip()) for m in map(ENV_LINE.match, lines) if m]


def test_env_example_lists_every_setting_once() -> None:
    names = [name for name, _ in env_example()]
    assert len(names) == len(set(names)), "a setting is listed twice"
    listed = {name.removeprefix(ENV_PREFIX).lower() for name in names}
    fields = set(Settings.model_fields)
    assert not listed - fields, f"not settings: {sorted(listed - fields)}"
    assert not fields - listed, f"missing from .env.example: {sorted(fields - listed)}"


@pytest.mark.parametrize(("name", "value"), env_example(), ids=lambda v: str(v) or "empty")
def test_env_example_values_are_valid(name: str, value: str) -> None:
    load_settings(**{name.removeprefix(ENV_PREFIX).lower(): value})


# ---------------------------------------------------------------------- systemd, compose, proxy
class UnitFile(configparser.ConfigParser):
    """A systemd unit read as INI: keys keep their case (ExecStart, not execstart)."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def test_systemd_unit_runs_the_bot_hardened() -> None:
    unit = UnitFile(strict=True, interpolation=None)
    unit.read(DEPLOY / "trygghetsbot.service", encoding="utf-8")
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "trygghetsbot"
    assert argv[1:] == ["run"]
    assert service["User"] not in ROOT_USERS
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert "EnvironmentFile" in service
    assert "WorkingDirectory" in service
    # Under ProtectSystem=strict the database's folder must be writable.
    defaults = dict(pair.split("=", 1) for pair in shlex.split(service["Environment"]))
    writable = service["ReadWritePaths"].split()
    for name in ("TRYGG_DATABASE", "TRYGG_MEDIA_DIR"):
        assert any(defaults[name].startswith(path + "/") for path in writable), name


def test_compose_runs_the_image_with_a_data_volume() -> None:
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    active = "\n".join(line for line in compose.splitlines() if not line.lstrip().startswith("#"))
    assert "dockerfile: deploy/Dockerfile" in active
    assert "env_file: .env" in active
    assert re.search(r"^\s+- [\w-]+:/data$", active, re.MULTILINE), "a named volume on /data"
    assert "restart: unless-stopped" in active
    assert "telegram-bot-api" in compose  # the optional self-hosted Bot API server, documented


def test_reverse_proxy_forwards_only_the_webhook_path() -> None:
    upstream = f"127.0.0.1:{Settings.model_fields['webhook_port'].default}"
    nginx = re.sub(r"#.*", "", (DEPLOY / "nginx-webhook.conf").read_text(encoding="utf-8"))
    locations = [(m.start(), m[1]) for m in re.finditer(r"location\s+([^{]+?)\s*\{", nginx)]
    forwarding = [
        ([where for start, where in locations if start < m.start()][-1], m[1])
        for m in re.finditer(r"proxy_pass\s+([^;]+);", nginx)
    ]
    assert forwarding == [(f"= {WEBHOOK_PATH}", f"http://{upstream}")]
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert re.findall(r"handle (\S+) \{\s*reverse_proxy (\S+)", caddy) == [(WEBHOOK_PATH, upstream)]


# ---------------------------------------------------------------------- documentation
def model_keys(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, bool, bool]]:
    """(dotted key, holds a table, holds a list of tables) for every key of the model."""
    for name, field in model.model_fields.items():
        key = prefix + name
        nested = list(_models_in(field.annotation))
        is_list = typing.get_origin(field.annotation) is list
        yield key, bool(nested), is_list
        for sub in nested:
            yield from model_keys(sub, key + ".")


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    elif isinstance(annotation, types.UnionType) or typing.get_args(annotation):
        for arg in typing.get_args(annotation):
            yield from _models_in(arg)


def deployment_keys() -> list[str]:
    """How admin.md must name each key: `[table]`, `[[list]]` or `table.key`."""
    names = []
    for key, table, is_list in model_keys(Deployment):
        names.append(f"[[{key}]]" if table and is_list else f"[{key}]" if table else key)
    return names


def test_walk_of_the_deployment_model_finds_nested_keys() -> None:
    keys = deployment_keys()
    assert {"[deployment]", "deployment.ack_hours", "[[promises.commitments]]"} <= set(keys)
    assert {"promises.commitments.due", "stations.group_chat_id", "privacy.notice"} <= set(keys)


@pytest.mark.parametrize("guide", GUIDES)
def test_operator_guides_exist_and_the_readme_links_them(guide: str) -> None:
    text = (DOCS / guide).read_text(encoding="utf-8")
    assert text.startswith("# "), "a guide starts with its title"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"](docs/{guide})" in readme


def test_admin_guide_documents_every_deployment_key() -> None:
    admin = (DOCS / "admin.md").read_text(encoding="utf-8")
    missing = [key for key in deployment_keys() if f"`{key}`" not in admin]
    assert not missing, f"docs/admin.md does not mention: {missing}"


def test_it_guide_documents_every_setting_and_command() -> None:
    it = (DOCS / "it.md").read_text(encoding="utf-8")
    docs = it + (DOCS / "admin.md").read_text(encoding="utf-8")
    settings = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
    assert not [s for s in settings if f"`{s}`" not in it], "docs/it.md lists every setting"
    parser = build_parser()
    commands = next(
        a.choices for a in parser._actions if isinstance(a.choices, dict) and "run" in a.choices
    )
    missing = [c for c in commands if f"trygghetsbot {c}" not in docs]
    assert not missing, f"commands not in docs/it.md or docs/admin.md: {missing}"


EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
TOKEN_SHAPE = re.compile(r"\b\d{6,}:[\w-]{30,}")


def test_deploy_files_and_docs_hold_placeholders_only() -> None:
    files = [p for p in DEPLOY.iterdir() if p.is_file()] + list(DOCS.glob("*.md"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        domains = {m[1] for m in EMAIL.finditer(text)}
        assert domains <= {"example.org"}, f"{path.name}: real-looking e-mail {domains}"
        assert not TOKEN_SHAPE.search(text), f"{path.name}: something shaped like a bot token"
