"""The command a message tells the learner to type: the route they are on, uv or the pip venv."""
import os


def command(program):
    """`uv run PROGRAM` when uv started this process (uv sets $UV for what it runs), else `python PROGRAM`."""
    return f"uv run {program}" if os.environ.get("UV") else f"python {program}"
