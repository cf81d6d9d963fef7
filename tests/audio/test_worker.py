"""Pool workers end with the process that made them, even one killed outright."""

import subprocess
import sys


def test_a_worker_that_starts_after_its_daemon_died_ends_at_once():
    # a process that has already exited stands for the daemon killed while its worker was starting
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    worker = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from padserver.loops.worker import worker_start; worker_start({gone.pid}); import time; "
            "time.sleep(60); print('still here')",
        ],
        capture_output=True,
        text=True,
        timeout=50,  # (it ends at once; this only keeps a regression from hanging the run)
    )
    assert worker.returncode == 0 and "still here" not in worker.stdout, worker


def test_a_worker_of_a_living_parent_runs_on():
    script = "import os; from padserver.loops.worker import worker_start; worker_start(os.getppid()); print('running')"
    worker = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=50)
    assert worker.returncode == 0 and worker.stdout.strip() == "running", worker


def test_a_worker_runs_below_the_daemon_but_is_not_starved_by_a_busy_machine():
    # nice 10 and batch scheduling: it gives way to the audio and the daemon. Not SCHED_IDLE, which runs only
    # when nothing else wants the CPU (a load waited a minute on a machine kept busy) and cannot be left.
    script = (
        "import os; from padserver.loops.worker import worker_start; worker_start(os.getppid()); "
        "print(os.nice(0), os.sched_getscheduler(0) == os.SCHED_BATCH)"
    )
    worker = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=50)
    assert worker.stdout.split() == ["10", "True"], worker
