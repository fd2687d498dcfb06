"""The scenario library: the shipped scenarios and their default data.

In a source checkout the library is the repository's scenarios/ folder; an installed
wheel carries the same files as package data in sim/library/ (pyproject maps the
package `sim.library` onto scenarios/). A scenario is named by a path to its YAML file
or, for a shipped one, by its name ("baseline").
"""

from __future__ import annotations

import shutil
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _library_dir() -> Path:
    installed = _HERE.parent / "library"  # sim/library/ inside an installed wheel
    if (installed / "baseline.yaml").is_file():
        return installed
    return _HERE.parent.parent / "scenarios"  # a source checkout (also an editable install)


LIBRARY_DIR = _library_dir()
"""The folder of the shipped scenarios (YAML) and of their data (data/)."""


def shipped_names() -> list[str]:
    """The names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))


def locate(scenario: str | Path) -> Path:
    """The YAML file that `scenario` names.

    An existing file, or any path with a folder part, as given; else the shipped
    scenario of that name ("baseline" or "baseline.yaml"); a name that is neither is
    returned as given, so the reader reports it missing.
    """
    path = Path(scenario)
    if path.exists() or path.parent != Path("."):
        return path
    shipped = LIBRARY_DIR / (path.name if path.suffix in (".yaml", ".yml") else f"{path.name}.yaml")
    return shipped if shipped.is_file() else path


def library_files() -> list[Path]:
    """The files `zonesim init` copies, as paths relative to the library, sorted.

    Every scenario's YAML, the README and the data folder (without generated or cached
    files).
    """
    files = [p for p in LIBRARY_DIR.glob("*.yaml")] + [LIBRARY_DIR / "README.md"]
    files += [
        p for p in (LIBRARY_DIR / "data").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    return sorted(p.relative_to(LIBRARY_DIR) for p in files if p.is_file())


def copy_library(dest: Path) -> list[Path]:
    """Copy the scenario library into `dest` for a planner to edit; the files written.

    Refuses (FileExistsError, nothing written) if any of them exists already.
    """
    rel = library_files()
    taken = [dest / r for r in rel if (dest / r).exists()]
    if taken:
        shown = ", ".join(str(p) for p in taken[:5]) + (" …" if len(taken) > 5 else "")
        raise FileExistsError(
            f"{dest}: {len(taken)} file(s) of the scenario library exist already ({shown}); "
            "nothing was copied. Choose an empty folder"
        )
    written = []
    for r in rel:
        target = dest / r
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(LIBRARY_DIR / r, target)
        written.append(target)
    return written
