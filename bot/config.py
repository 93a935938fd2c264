"""Reading the deployment file: TOML in, a validated `Deployment` or one line per problem out."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.domain.deployment import MAX_ID, Deployment
from bot.domain.deployment_checks import find_problems


class DeploymentError(Exception):
    """The deployment file is unusable; `lines` says why, one problem per line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _entry_key(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Name an entry of a list section by its id or name, so the operator finds it."""
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return ""
    if isinstance(node, dict):
        for key in ("id", "name", "telegram_id"):
            if key in node:
                return str(node[key])
    return ""


def _format_loc(raw: Any, loc: tuple[int | str, ...]) -> str:
    """('staff', 2, 'stations', 0) -> 'staff[2] (Kommunpolis X).stations[0]'."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            key = _entry_key(raw, loc[: i + 1])
            if key and i + 1 < len(loc):
                out += f" ({key})"
        else:
            out += ("." if out else "") + part
    return out


def parse_deployment(text: str, source: str) -> Deployment:
    """Validate deployment TOML text; `source` names the file in error lines."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeploymentError([f"{source}: not valid TOML: {exc}"]) from None
    try:
        deployment = Deployment.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            where = _format_loc(raw, tuple(error["loc"]))
            message = error["msg"]
            if error["type"] == "missing":
                message = "missing required field"
            elif error["type"] == "extra_forbidden":
                message = "unknown field"
            elif error["type"] == "string_too_long" and error["loc"][-1] == "id":
                length = len(str(error["input"]))
                message = f"an id is at most {MAX_ID} characters (buttons carry it), not {length}"
            lines.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
        raise DeploymentError(lines) from None
    problems = find_problems(deployment)
    if problems:
        raise DeploymentError([f"{source}: {problem}" for problem in problems])
    return deployment


def load_deployment(path: Path) -> Deployment:
    """Read and validate the deployment file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeploymentError([f"{path}: deployment file not found"]) from None
    except IsADirectoryError:
        raise DeploymentError([f"{path}: is a directory, not a deployment file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DeploymentError([f"{path}: cannot read deployment file: {reason}"]) from None
    return parse_deployment(text, str(path))
