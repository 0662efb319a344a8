import dagster as dg


class Warehouse(dg.ConfigurableResource):
    dsn: str = "sqlite://"
