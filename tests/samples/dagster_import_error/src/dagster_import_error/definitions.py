import dagster as dg

from dagster_import_error.assets import revenue

defs = dg.Definitions(assets=[revenue])
