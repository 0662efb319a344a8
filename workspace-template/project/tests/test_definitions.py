from {{import_name}}.defs.example import event_counts


def test_event_counts():
    assert event_counts() == {"signup": 1, "order": 1}
