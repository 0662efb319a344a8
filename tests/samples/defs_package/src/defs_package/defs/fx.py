from ws_defs import asset


@asset(key_prefix="finance")
def fx_rates():
    return {"EUR": 1.1}


@asset(key_prefix="finance")
def budget():
    return 100
