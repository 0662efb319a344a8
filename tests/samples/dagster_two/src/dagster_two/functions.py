import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions()


@dg.definitions
def other_defs() -> dg.Definitions:
    return dg.Definitions()


plain = dg.Definitions()  # ignored: Dagster looks at @definitions functions first
