"""Build step: a built package carries schemas/ (the one source of truth) as streams/data/schemas."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SCHEMAS = Path(__file__).resolve().parent / "schemas"


class BuildPyWithSchemas(build_py):
    """build_py, then schemas/ copied into the built package: a wheel has no repository beside it."""

    def run(self) -> None:
        super().run()
        # An editable install reads schemas/ in place (streams.events.contracts.SCHEMAS).
        if not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "streams" / "data" / "schemas"
            shutil.copytree(SCHEMAS, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithSchemas})
