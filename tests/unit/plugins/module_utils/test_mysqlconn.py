"""wait_for_server: retries until the server answers, closes what failed, gives up with the last error."""

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import mysqlconn


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Conn:
    def __init__(self, fail_query=False):
        self.fail_query = fail_query
        self.closed = False
        self.queries = []

    def cursor(self):
        conn = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, sql):
                conn.queries.append(sql)
                if conn.fail_query:
                    raise OSError("server is starting")

        return Cursor()

    def close(self):
        self.closed = True


def test_retries_until_the_server_answers():
    clock = Clock()
    made = []

    def opener(params):
        if clock() < 0.2:
            raise ConnectionRefusedError("no socket yet")
        conn = Conn(fail_query=len(made) < 2)
        made.append(conn)
        return conn

    conn = mysqlconn.wait_for_server({}, 10, clock=clock, sleep=clock.sleep, opener=opener)
    assert conn is made[-1] and not conn.closed
    assert len(made) == 3
    # Connections whose probe failed were closed, not leaked.
    assert [c.closed for c in made[:-1]] == [True, True]
    assert conn.queries == ["SELECT 1"]


def test_gives_up_after_the_timeout_with_the_last_error():
    clock = Clock()

    def opener(params):
        raise ConnectionRefusedError(f"refused at {clock():.2f}")

    with pytest.raises(RuntimeError, match=r"did not answer within 1 s: refused at 1\.0"):
        mysqlconn.wait_for_server({}, 1, clock=clock, sleep=clock.sleep, opener=opener)
    assert 0.99 < clock() < 1.1


def test_answers_at_once_without_sleeping():
    clock = Clock()
    conn = mysqlconn.wait_for_server({}, 5, clock=clock, sleep=clock.sleep, opener=lambda p: Conn())
    assert clock() == 0.0 and conn.queries == ["SELECT 1"]
