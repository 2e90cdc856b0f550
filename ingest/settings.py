"""Settings for every part of gongwen: `config.toml`, then `GONGWEN_*` environment variables, then flags.

Lives in `ingest/` because it is the upstream package that `index/` and `webapp/` may both import.
"""

from __future__ import annotations

import copy
import json
import os
import tomllib
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.toml"
ENV_PREFIX = "GONGWEN_"

# Keys whose values are paths, resolved against the folder of the config file that set them.
PATH_KEYS = {
    ("storage", "index_dir"),
    ("ingest", "issuer_aliases"),
    ("ingest", "doc_types"),
    ("index", "userdict"),
    ("index", "synonyms"),
    ("index", "stopwords"),
    ("index", "similar_stopwords"),
    ("ocr", "tessdata_dir"),
    ("ocr", "names_tessdata_dir"),
}


class SettingsError(ValueError):
    """A setting is missing, malformed or of the wrong type; the message names it."""


class Settings:
    """Nested settings read from TOML: `settings["web"]["port"]` or `settings.get("web", "port")`."""

    def __init__(self, data: dict[str, dict[str, Any]], source: Path | None = None) -> None:
        self._data = data
        self.source = source

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self._data[section]

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self._data.get(section, {}).get(key, default)

    def path(self, section: str, key: str) -> Path:
        """A path-valued setting as a `Path` (already absolute when it came from a file)."""
        return Path(self._data[section][key])

    def with_overrides(self, overrides: dict[tuple[str, str], Any]) -> Settings:
        """A copy with `{(section, key): value}` applied; `None` values are ignored (flag not given)."""
        data = copy.deepcopy(self._data)
        for (section, key), value in overrides.items():
            if value is not None:
                data.setdefault(section, {})[key] = value
        return Settings(data, self.source)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._data)


def _coerce(raw: str, current: Any, name: str) -> Any:
    """Turn an environment string into the type of the value it replaces."""
    try:
        if isinstance(current, bool):
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, list):
            raw = raw.strip()
            if raw.startswith("["):
                return list(json.loads(raw))
            return [part.strip() for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise SettingsError(
            f"environment variable {name}={raw!r} is not a valid {type(current).__name__}"
        ) from exc
    return raw


def load_settings(
    config_path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read the defaults shipped in `config.toml`, then the user's file, then the environment."""
    environ = dict(os.environ if environ is None else environ)
    if config_path is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_path = environ[ENV_PREFIX + "CONFIG"]
    data = _read_toml(DEFAULT_CONFIG)
    source = DEFAULT_CONFIG
    if config_path is not None:
        source = Path(config_path).resolve()
        if not source.is_file():
            raise SettingsError(f"config file not found: {config_path}")
        for section, values in _read_toml(source).items():
            data.setdefault(section, {}).update(values)
    for section, values in data.items():
        for key, current in values.items():
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            if name in environ:
                values[key] = _coerce(environ[name], current, name)
    return Settings(data, source)


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    base = path.resolve().parent
    for section, key in PATH_KEYS:
        value = data.get(section, {}).get(key)
        if isinstance(value, str) and value:
            data[section][key] = str((base / value).resolve()) if not Path(value).is_absolute() else value
    return data
