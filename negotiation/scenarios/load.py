"""Loading a scenario file: `load_scenario` reads it, loads the model it names (built-in or
relative to the file) and checks everything against it: event names, parameters and their bounds,
sources, dates and their order, starting values and expectations. Every problem is reported at
once, each located.

A scenario that `extends:` another is built on its base, loaded here (relative to the file, with
a cycle or a missing base a located error); `counterfactual` applies its overrides to the model,
and `builder` checks the file's own entries.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from negotiation.errors import FileError, Problem, suggest
from negotiation.files.fastspec import validate_scenario
from negotiation.files.yamlfile import Document, read_document
from negotiation.rules.load import build_model
from negotiation.rules.model import Model, builtin_models, model_path
from negotiation.scenarios.builder import build
from negotiation.scenarios.counterfactual import apply_overrides
from negotiation.scenarios.scenario import Scenario

if TYPE_CHECKING:
    from negotiation.files.schema import ScenarioSpec

MAX_DEPTH = 20
MAX_NAME_BYTES = 255  # one part of a file name, as most file systems allow


def load_scenario(path: str | Path) -> Scenario:
    """Load and check a scenario file; raise FileError listing every problem."""
    return build_scenario(read_document(path), Path(path).parent)


def build_scenario(document: Document, folder: Path, chain: tuple[Path, ...] = ()) -> Scenario:
    """Check a parsed scenario and build it, resolving `extends:` (relative to `folder`).

    `chain` holds the files that extend this one, to report a cycle where it closes.
    """
    data = document.data
    if isinstance(data, dict) and {"phases", "regions"} & set(data) and "scenario" not in data:
        message = "this is a model file, not a scenario (check it with `negotiation check`)"
        raise FileError([Problem(document.locate(), message)])
    spec = validate_scenario(document)
    base = load_base(document, spec, folder, chain) if spec.extends else None
    if spec.model is not None:
        model = _load_model(document, spec.model, folder)
    elif base is not None:
        model = base.model
    else:
        raise FileError([Problem(document.locate(), "missing required field 'model'")])
    overrides: tuple[str, ...] = ()
    if spec.overrides is not None:
        model, overrides = apply_overrides(model, spec.overrides, document)
    return build(document, spec, model, base, overrides)


def _check_file_name(document: Document, key: str, reference: str) -> None:
    """A file name that no file system accepts (a NUL, an over-long part) is a located error
    here, rather than an OSError or ValueError from the operating system later."""
    if "\0" in reference:
        problem = "a file name cannot hold a NUL character"
    elif any(len(part.encode()) > MAX_NAME_BYTES for part in Path(reference).parts):
        problem = f"a part of a file name is longer than {MAX_NAME_BYTES} bytes"
    else:
        return
    raise FileError([Problem(document.locate(key), f"'{key}': {problem}")])


def _exists(document: Document, key: str, path: Path) -> tuple[bool, bool]:
    """Whether `path` exists, and whether it is a regular file; an OS error is located."""
    try:
        return path.exists(), path.is_file()
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise FileError(
            [Problem(document.locate(key), f"'{key}' cannot be read: {reason}")]
        ) from None


def _unreadable(document: Document, key: str, error: OSError | ValueError) -> FileError:
    reason = getattr(error, "strerror", None) or str(error)
    return FileError([Problem(document.locate(key), f"'{key}' cannot be read: {reason}")])


def _load_model(document: Document, reference: str, folder: Path) -> Model:
    _check_file_name(document, "model", reference)
    try:
        path = model_path(reference, folder)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise FileError(
            [Problem(document.locate("model"), f"'model' cannot be read: {reason}")]
        ) from None
    if path is None:
        hint = suggest(reference, builtin_models())
        raise FileError(
            [Problem(document.locate("model"), f"no built-in model '{reference}'{hint}")]
        )
    exists, regular = _exists(document, "model", path)
    if not regular:
        found = "is not a regular file" if exists else "not found"
        message = f"model file '{reference}' {found} (looked for {path})"
        raise FileError([Problem(document.locate("model"), message)])
    shown = f"<builtin>/{path.name}" if reference in builtin_models() else str(path)
    return build_model(read_document(path, shown))


def load_base(
    document: Document, spec: ScenarioSpec, folder: Path, chain: tuple[Path, ...]
) -> Scenario:
    """The scenario `spec.extends` names, built; a missing base or a cycle is a located error."""
    assert spec.extends is not None
    _check_file_name(document, "extends", spec.extends)
    where = document.locate("extends")
    here = Path(document.path).resolve()
    try:
        path = (folder / spec.extends).resolve()
    except (OSError, ValueError) as error:
        raise _unreadable(document, "extends", error) from None
    if path == here or path in chain:
        loop = " → ".join(p.name for p in (*chain, here, path))
        raise FileError([Problem(where, f"'extends' makes a cycle: {loop}")])
    if len(chain) >= MAX_DEPTH:
        raise FileError([Problem(where, f"more than {MAX_DEPTH} scenarios extend one another")])
    exists, regular = _exists(document, "extends", path)
    if not regular:
        found = "is not a regular file" if exists else "not found"
        raise FileError([Problem(where, f"base scenario '{spec.extends}' {found} ({path})")])
    shown = str(Path(document.path).parent / spec.extends)
    return build_scenario(read_document(path, shown), path.parent, (*chain, here))
