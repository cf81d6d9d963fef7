"""kill -9 at random moments of heavy activity: the library and the project always open again."""

import os
import random
import sqlite3
import time

import soundfile as sf

from padserver.harness.daemon import DaemonProcess
from padserver.library.testloops import drum_loop
from padserver.projects.store import ProjectStore


def check_integrity(data):
    db = sqlite3.connect(str(data / "library" / "library.sqlite"))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT id, file FROM loops").fetchall()
    db.close()
    for loop_id, file in rows:
        path = data / file
        assert path.is_file(), f"loop {loop_id}: {file} is indexed but missing"
        assert sf.info(str(path)).frames > 0  # and it still reads
    store = ProjectStore(str(data))
    for name in store.names():
        store.load(name)  # raises if neither the file nor its previous version opens
    return len(rows)


def leftovers(data):
    return [n for _, _, names in os.walk(data / "library") for n in names if n.endswith((".part", ".tmp"))]


def test_kill_9_during_imports_loads_and_autosaves_loses_nothing(tmp_path):
    data = tmp_path / "data"
    source = data / "in"
    source.mkdir(parents=True)
    for i in range(12):
        sf.write(source / f"loop{i:02d}.flac", drum_loop(80 + 7 * i, 1 + i % 3, seed=i).T, 44100)
    rng = random.Random(7)
    config = "projects:\n  autosave_s: 0.2\n"
    count = 0
    for round_ in range(6):
        d = DaemonProcess(["--audio", "null"], config=config, data_dir=str(data))
        d.wait_ready(30)
        status = d.osc.status()
        if round_:
            assert status["project"] == "crash"  # the session came back after the kill
            assert leftovers(data) == []  # what the kill left half-written was swept away
        d.osc.send("/library/import", str(source))
        d.osc.send("/project/save_as", "crash")
        for i in range(1, 17):
            d.osc.send(f"/pad/{i}/load", str(source / f"loop{(i + round_) % 12:02d}.flac"))
            d.osc.send(f"/pad/{i}/gain", rng.uniform(0.1, 1.5))
        time.sleep(rng.uniform(0.05, 1.5))
        d.proc.kill()  # kill -9: no fade, no final save
        d.proc.wait(10)
        d.osc.close()
        count = check_integrity(data)
    assert count >= 1
