"""The one Definitions object ws loads for this project (see [tool.ws] in pyproject.toml)."""

from ws_defs import Definitions

# Every asset, check, job, schedule and sensor defined in the modules of `defs/` is collected.
defs = Definitions.from_package("{{import_name}}.defs")
