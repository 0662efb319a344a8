"""A stand-in resource: the snapshot names its type."""


class Warehouse:
    def __init__(self, url):
        self.url = url
