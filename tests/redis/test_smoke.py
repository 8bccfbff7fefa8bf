def test_get_set(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"


def test_differential_get_set(differ):
    cmds = [
        ["SET", "a", "1"],
        ["GET", "a"],
        ["GET", "missing"],
        ["SET", "a"],
        ["NOSUCH", "x", "y"],
        ["SET", "a", "2", "NX"],
        ["SET", "a", "3", "XX", "GET"],
        ["SET", "b", "1", "EX", "0"],
    ]
    ours, theirs = differ(cmds)
    assert ours == theirs
    ours, theirs = differ(cmds, resp=3)
    assert ours == theirs
