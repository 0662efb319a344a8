"""Settings read at import time."""


def warehouse_url():
    raise RuntimeError("WAREHOUSE_URL is not set")


URL = warehouse_url()
