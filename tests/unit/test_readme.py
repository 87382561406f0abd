"""The README documents every setting and names the commands a newcomer runs."""

from streams.settings import Settings
from streams.tools.cli import build_parser
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [name for name in Settings().env_names() if f"`{name}`" not in README]
    assert not missing, f"README lacks: {missing}"


def test_every_subcommand_is_documented() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [name for name in sub.choices if f"newsstreams {name}" not in README]  # type: ignore[union-attr]
    assert not missing, f"README lacks: {missing}"


def test_the_two_commands_come_first() -> None:
    two = README.split("## Two commands", 1)[1].split("##", 1)[0]
    assert "scripts/demo" in two
    assert "scripts/test" in two
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
