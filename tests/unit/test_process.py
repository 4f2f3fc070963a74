import dataclasses
import socket
import sys

import pytest

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings
from chirp.infra.provision.local import process, provider


@pytest.fixture
def sleeper(tmp_path):
    """A spawned process that sleeps a minute, and its pid file; stopped afterwards."""
    pid_file = tmp_path / "sleeper.pid"
    record = process.spawn(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        log_file=tmp_path / "sleeper.log",
        pid_file=pid_file,
    )
    yield record, pid_file
    process.stop(pid_file, grace_s=5)


def test_spawn_records_pid_and_stop_ends_it(sleeper):
    record, pid_file = sleeper
    assert record.alive()
    assert process.read_record(pid_file) == record
    assert process.stop(pid_file, grace_s=5)
    assert not record.alive()
    assert not pid_file.exists()


def test_stop_escalates_to_kill_when_term_is_ignored(tmp_path):
    pid_file = tmp_path / "stubborn.pid"
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    log = tmp_path / "stubborn.log"
    record = process.spawn([sys.executable, "-c", code], log_file=log, pid_file=pid_file)
    _wait_for_line(log, "ready")
    assert process.stop(pid_file, grace_s=0.5)
    assert not record.alive()


def _wait_for_line(log, text):
    import time

    for _ in range(200):
        if text in log.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {log}")


def test_a_reused_pid_is_not_mistaken_for_ours():
    import os

    stranger = process.ProcessRecord(pid=os.getpid(), started_at=1.0)
    assert not stranger.alive()


def test_stopping_nothing_is_not_an_error(tmp_path):
    assert not process.stop(tmp_path / "missing.pid", grace_s=1)


def test_unreadable_pid_file_reads_as_none(tmp_path):
    bad = tmp_path / "bad.pid"
    bad.write_text("not json")
    assert process.read_record(bad) is None


def test_a_stepped_wall_clock_does_not_make_our_process_a_stranger(sleeper):
    record, _ = sleeper
    assert record.start_ticks is not None
    # psutil's wall-clock start moved 9 s after a clock step; the kernel's ticks did not.
    stepped = dataclasses.replace(record, started_at=record.started_at - 9.0)
    assert stepped.alive()
    reused = dataclasses.replace(record, start_ticks=record.start_ticks + 1)
    assert not reused.alive()


def test_purge_deletes_nothing_while_a_chirp_port_is_still_held(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        settings = Settings(run_dir=tmp_path / "run", redis_port=listener.getsockname()[1])
        kept = settings.run_dir / "logs" / "redis.log"
        kept.parent.mkdir(parents=True)
        kept.write_text("still needed")
        with pytest.raises(ConfigError, match="nothing deleted: port"):
            provider.purge(settings)
        assert kept.read_text() == "still needed"
