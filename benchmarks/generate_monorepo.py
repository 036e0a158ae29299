"""Write a synthetic monorepo of requirements files for the benchmarks.

Services get a requirements.txt that includes a shared base and a constraints
file, pins from a fixed pool of real package names, markers, extras, hashes and
comments, so the parser meets every shape it meets in real trees.  The output
is deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

POOL = [
    "requests",
    "urllib3",
    "idna",
    "certifi",
    "charset-normalizer",
    "flask",
    "werkzeug",
    "jinja2",
    "markupsafe",
    "itsdangerous",
    "click",
    "django",
    "sqlalchemy",
    "alembic",
    "psycopg2-binary",
    "redis",
    "celery",
    "kombu",
    "boto3",
    "botocore",
    "s3transfer",
    "numpy",
    "pandas",
    "scipy",
    "pydantic",
    "fastapi",
    "starlette",
    "uvicorn",
    "wsproto",
    "httpx",
    "h11",
    "anyio",
    "sniffio",
    "pytest",
    "pluggy",
    "attrs",
    "packaging",
    "setuptools",
    "wheel",
    "six",
    "python-dateutil",
    "pytz",
    "pyyaml",
    "protobuf",
    "grpcio",
    "marshmallow",
    "pillow",
    "cryptography",
    "cffi",
    "pycparser",
]
SHAPES = [
    "{name}=={v}",
    "{name}>={v}",
    "{name}>={v},<{major_next}",
    "{name}~={v}",
    "{name}[extra]=={v}",
    '{name}=={v} ; python_version >= "3.11"',
    "{name}  # unpinned on purpose",
    "{name}=={v} \\\n    --hash=sha256:{hash}",
]


def _line(rng: random.Random) -> str:
    name = rng.choice(POOL)
    major, minor, patch = rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 20)
    return rng.choice(SHAPES).format(
        name=name,
        v=f"{major}.{minor}.{patch}",
        major_next=f"{major + 1}",
        hash=f"{rng.getrandbits(256):064x}",
    )


def generate(root: Path, services: int, lines: int, seed: int = 7) -> int:
    """Create the tree; returns the number of requirement files written."""
    rng = random.Random(seed)
    shared = root / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    (shared / "constraints.txt").write_text(
        "\n".join(f"{name}<100" for name in POOL[:20]) + "\n", encoding="utf-8"
    )
    (shared / "base.txt").write_text(
        "# shared base\n" + "\n".join(_line(rng) for _ in range(lines)) + "\n", encoding="utf-8"
    )
    written = 2
    for number in range(services):
        folder = root / "services" / f"svc{number:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = ["-r ../../shared/base.txt", "-c ../../shared/constraints.txt", ""]
        body += [_line(rng) for _ in range(lines)]
        (folder / "requirements.txt").write_text("\n".join(body) + "\n", encoding="utf-8")
        (folder / "requirements-dev.txt").write_text(
            "-r requirements.txt\n" + "\n".join(_line(rng) for _ in range(lines // 3)) + "\n",
            encoding="utf-8",
        )
        written += 2
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--services", type=int, default=1500)
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    count = generate(arguments.root, arguments.services, arguments.lines, arguments.seed)
    print(f"wrote {count} requirements files under {arguments.root}")


if __name__ == "__main__":
    main()
