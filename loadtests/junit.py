"""JUnit XML for CI: any list of pass/fail/skip results as one test suite (junitparser).

Commands that gate something (`chirp load` SLOs, `chirp chaos` checks, `chirp bench`
goals) turn each gate into a `JUnitCase` and call `write_junit`; a CI system then shows
each gate as a test. A passed case has no child element, a failed one `<failure
message=...>`, a skipped one (nothing to judge) `<skipped message=...>`:

    write_junit(Path("slo.xml"), "chirp load smoke", [
        JUnitCase("feed_read_p99_ms", "chirp.load.smoke", "fail", "131 ms, wanted < 50 ms"),
        JUnitCase("feed_read_p999_ms", "chirp.load.smoke", "skip", "not enough samples"),
    ])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class JUnitCase:
    """One gate's result. `name` should stay the same from run to run (CI tracks a test
    by classname and name); the figures belong in `message`."""

    name: str
    classname: str
    status: Status
    message: str = ""
    time_s: float = 0.0


def write_junit(path: Path, suite: str, cases: list[JUnitCase]) -> None:
    """Write `cases` as the test suite `suite` to `path` (parents created, file replaced)."""
    tests = TestSuite(suite)
    for case in cases:
        tests.add_testcase(_testcase(case))
    tests.update_statistics()
    document = JUnitXml("chirp")
    document.add_testsuite(tests)
    document.update_statistics()
    path.parent.mkdir(parents=True, exist_ok=True)
    document.write(str(path), pretty=True)


def _testcase(case: JUnitCase) -> TestCase:
    testcase = TestCase(case.name, classname=case.classname, time=round(case.time_s, 3))
    if case.status == "fail":
        testcase.result = [Failure(case.message or "failed")]
    elif case.status == "skip":
        testcase.result = [Skipped(case.message or "skipped")]
    elif case.status != "pass":
        raise ValueError(f"a JUnit case is pass, fail or skip, not {case.status!r}")
    return testcase
