"""CPU use from two readings of a process family's CPU seconds."""

import os

import pytest

from chirp.infra.provision.local import idle


def test_cpu_is_the_growth_between_readings_over_the_window():
    before = {(10, 1.0): 5.0, (11, 2.0): 1.0}
    after = {(10, 1.0): 5.5, (11, 2.0): 1.25}
    assert idle.cpu_percent(before, after, 10.0) == pytest.approx(7.5)


def test_a_child_born_in_the_window_counts_whole_and_one_gone_counts_nothing():
    before = {(10, 1.0): 5.0, (12, 3.0): 9.0}
    after = {(10, 1.0): 5.0, (13, 4.0): 0.2}
    assert idle.cpu_percent(before, after, 2.0) == pytest.approx(10.0)


def test_a_reused_pid_is_another_process():
    before = {(10, 1.0): 50.0}
    after = {(10, 7.0): 0.5}
    assert idle.cpu_percent(before, after, 1.0) == pytest.approx(50.0)


def test_no_window_is_no_use():
    assert idle.cpu_percent({}, {(1, 1.0): 3.0}, 0) == 0.0


def test_this_process_family_is_read_from_proc():
    times = idle.family_times(os.getpid())
    assert times and all(seconds >= 0 for seconds in times.values())
    assert idle.family_times(2**22 + 1) == {}  # beyond pid_max: no such process


def test_the_report_totals_its_components():
    report = idle.CpuReport(3.0, [idle.CpuUse("kafka", 2.5), idle.CpuUse("relay", 0.5)])
    assert report.total_percent == pytest.approx(3.0)
    assert report.as_dict()["components"] == {"kafka": 2.5, "relay": 0.5}
