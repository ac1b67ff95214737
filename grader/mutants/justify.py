"""The justification file beside a rubric (`rubrics/NAME.mutants.yml`): survivors the instructor
has looked at and accepts, each with the reason. A justified survivor is no hole. (`.yml`, not
`.yaml`: whatever looks for a folder's rubrics, `*.yaml`, must not take it for one.)

    # mutant id, its key (the same without line numbers), or FUNCTION:* (every survivor of it): why
    "graph:const:136:38:1": returns the other graph the check accepts
    "second_derivative:*": its question is feedback only (0 points, as in the handout)
"""

from __future__ import annotations

from pathlib import Path

import yaml

from grader.errors import GraderError
from grader.mutants.model import Mutant

SUFFIX = ".mutants.yml"


def justification_path(rubric_path: Path) -> Path:
    """rubrics/hw.yaml → rubrics/hw.mutants.yml."""
    return rubric_path.with_name(rubric_path.stem + SUFFIX)


def load_justifications(path: Path) -> dict[str, str]:
    """The file's entries (none when there is no file); a file that is no mapping of texts is an error."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:  # one line with its line, as a rubric's syntax error
        line = f":{error.problem_mark.line + 1}" if error.problem_mark is not None else ""
        raise GraderError(f"{path}{line}: YAML syntax error: {error.problem}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise GraderError(f"{path}: cannot read it: {' '.join(str(error).split())}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                             for k, v in data.items()):
        raise GraderError(f"{path}: must map mutant ids (or keys, or FUNCTION:*) to the reason each may survive")
    return {key: " ".join(reason.split()) for key, reason in data.items()}


def entry_for(mutant: Mutant, justifications: dict[str, str]) -> str | None:
    """The entry that justifies `mutant`: its id, its key, or its function's `:*`."""
    for name in (mutant.id, mutant.key, f"{mutant.function}:*"):
        if name in justifications:
            return name
    return None
