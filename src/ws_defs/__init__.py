"""ws-defs: declare a project's assets, checks, jobs, schedules, sensors and resources for ws.

Stdlib only and Python 3.8+, because it is installed into every project environment:

    from ws_defs import Definitions, asset, job

    @asset(group="sales")
    def orders(): ...

    defs = Definitions(assets=[orders], jobs=[job("daily", assets=[orders])])

ws's loader finds the module-level `Definitions` object and asks it for `__ws_snapshot__()`.
"""

from ws_defs._core import (
    AssetCheckDef,
    AssetDef,
    DefinitionsError,
    JobDef,
    ScheduleDef,
    SensorDef,
    asset,
    asset_check,
    job,
    schedule,
    sensor,
)
from ws_defs._definitions import Definitions

__version__ = "0.1.0"

__all__ = [
    "AssetCheckDef",
    "AssetDef",
    "Definitions",
    "DefinitionsError",
    "JobDef",
    "ScheduleDef",
    "SensorDef",
    "__version__",
    "asset",
    "asset_check",
    "job",
    "schedule",
    "sensor",
]
