"""Make the collection importable as ansible_collections.tiersplit.maintenance for pytest."""


import os
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _collections_root():
    # Already inside an ansible_collections/tiersplit/maintenance layout (ansible-test, a copy)?
    parts = ROOT.split(os.sep)
    if len(parts) >= 3 and parts[-3:-1] == ["ansible_collections", "tiersplit"]:
        return os.sep.join(parts[:-3])
    link = os.path.join(ROOT, ".collections", "ansible_collections", "tiersplit", "maintenance")
    if os.path.isdir(link):
        return os.path.join(ROOT, ".collections")
    base = tempfile.mkdtemp(prefix="tiersplit-coll-")
    os.makedirs(os.path.join(base, "ansible_collections", "tiersplit"))
    os.symlink(ROOT, os.path.join(base, "ansible_collections", "tiersplit", "maintenance"))
    return base


COLLECTIONS = _collections_root()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ["TIERSPLIT_TEST_COLLECTIONS"] = COLLECTIONS
