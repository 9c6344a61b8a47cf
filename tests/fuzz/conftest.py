from .counts import REQUESTS, report


def pytest_terminal_summary(terminalreporter):
    if REQUESTS:
        terminalreporter.section("fuzzing: requests per surface")
        terminalreporter.write_line(report())
