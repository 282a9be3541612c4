"""The demo's texts (names, places, what teachers write), kept as data in demo/data/ so that
the generator's modules hold only the logic that picks from them."""

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@cache
def texts(name: str) -> dict[str, Any]:
    """The tables of demo/data/<name>.json, read once."""
    with (DATA / f"{name}.json").open(encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
    return data


def strings(values: list[str]) -> tuple[str, ...]:
    return tuple(values)
