"""Install the student environment of every rubric in rubrics/ (`environment.packages`) into the
running interpreter's environment: what submissions may import must be there to grade them.

    python scripts/install-environments.py [--no-compile] [RUBRIC ...]

Run by `make install` with the project's virtual environment; quiet when all is installed.
`--no-compile` is pip's (the Makefile byte-compiles the environment afterwards, in parallel).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(arguments: list[str]) -> int:
    pip_options = [a for a in arguments if a == "--no-compile"]
    paths = [a for a in arguments if a != "--no-compile"]
    from grader.environment import resolve
    from grader.errors import GraderError
    from grader.rubric import load_rubric

    wanted: list[str] = []
    for path in paths or [str(p) for p in sorted((ROOT / "rubrics").glob("*.yaml"))]:
        try:
            packages = load_rubric(Path(path)).rubric.environment.packages
        except GraderError as error:
            print(f"install-environments: {error}", file=sys.stderr)
            return 2
        wanted += [p for p in packages if p not in wanted]
    missing = list(resolve(tuple(wanted), strict=False).missing)
    if not missing:
        return 0
    from packaging.requirements import Requirement

    requirements = [p for p in wanted if Requirement(p).name in missing]
    print(f"install-environments: installing {', '.join(requirements)}")
    return subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            *pip_options, *requirements])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
