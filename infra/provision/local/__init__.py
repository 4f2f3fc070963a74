"""This machine as the stack: every server a child process chirp starts and stops by pid."""
