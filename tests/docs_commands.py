"""Command blocks of the Markdown docs, and a runner that types them as a user would.

A command block is a fenced block in ``bash``, ``sh`` or ``shell``. A block that
cannot run here is marked in the Markdown itself, on the line before its fence:

    <!-- not-run: the reason -->

The runner joins a file's runnable blocks into one bash script (so `cd`, `export`
and a server started by an earlier block carry over, as in one terminal) and runs it
with ``set -euo pipefail``. Only these substitutions are made, each counted:

- ``gh:<owner>/agent-service-chassis`` becomes the local template repository;
- ``localhost:8000`` / ``127.0.0.1:8000`` become a free port, and a ``serve`` command
  gets ``--port`` with it (port 8000 may be taken on a shared machine);
- a ``serve`` command runs in the background (bounded by ``timeout``) and the script
  waits until ``/healthz`` answers before the next command; every server started is
  stopped when the script ends.
"""

from __future__ import annotations

import re
import shlex
import socket
from dataclasses import dataclass
from pathlib import Path

COMMAND_LANGUAGES = {"bash", "sh", "shell"}
REPOSITORY_PLACEHOLDER = "gh:<owner>/agent-service-chassis"
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(.*?)\s*-->\s*$")
SERVE = re.compile(r"(^|\s)uv run [a-z][a-z0-9-]* serve\b")
DEFAULT_PORT = re.compile(r"\b(localhost|127\.0\.0\.1):8000\b")
SERVER_SECONDS = 300
PREAMBLE = """\
set -euo pipefail
__servers=()
__stop_servers() {
  for pid in "${__servers[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${__servers[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap __stop_servers EXIT
__serve() {  # __serve PORT LOG COMMAND: start a server in its own process group, probe it
  setsid timeout %(seconds)d bash -c "$3" >"$2" 2>&1 &
  __servers+=("$!")
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null "http://127.0.0.1:$1/healthz"; then return 0; fi
    if ! kill -0 "$!" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "the server did not answer /healthz on port $1:" >&2; cat "$2" >&2; return 1
}
"""


@dataclass(frozen=True)
class Block:
    source: str
    line: int
    text: str
    not_run: str | None


def command_blocks(path: Path, name: str) -> list[Block]:
    """Every command block of a Markdown file, with its not-run reason if marked."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            marker = NOT_RUN.match(lines[index])
            following = lines[index + 1] if index + 1 < len(lines) else ""
            assert not marker or FENCE.match(following), (
                f"{name}:{index + 1}: a not-run comment must stand right before a fence"
            )
            index += 1
            continue
        indent, language = opening.groups()
        end = index + 1
        while not (FENCE.match(lines[end]) and lines[end].strip() == "```"):
            end += 1
        if language in COMMAND_LANGUAGES:
            body = "\n".join(line.removeprefix(indent) for line in lines[index + 1 : end])
            marker = NOT_RUN.match(lines[index - 1]) if index else None
            reason = marker.group(1) if marker else None
            assert reason != "", f"{name}:{index}: a not-run comment needs its reason"
            blocks.append(Block(name, index + 1, body, reason))
        index = end + 1
    return blocks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Script:
    """A file's runnable blocks as one bash script, and the substitutions made."""

    text: str
    substitutions: list[str]


def build_script(blocks: list[Block], repository: Path, port: int, logs: Path) -> Script:
    out = [PREAMBLE % {"seconds": SERVER_SECONDS}]
    substitutions: list[str] = []
    for block in blocks:
        if block.not_run is not None:
            continue
        out.append(f"# --- {block.source}:{block.line}")
        for line in block.text.splitlines():
            if REPOSITORY_PLACEHOLDER in line:
                line = line.replace(REPOSITORY_PLACEHOLDER, shlex.quote(str(repository)))
                substitutions.append(f"{block.source}:{block.line}: repository -> local path")
            if DEFAULT_PORT.search(line):
                line = DEFAULT_PORT.sub(rf"\g<1>:{port}", line)
                substitutions.append(f"{block.source}:{block.line}: port 8000 -> {port}")
            if SERVE.search(line):
                command = line.split("  #", 1)[0].strip()
                if "--port" not in command:
                    command += f" --port {port}"
                log = logs / f"server-{block.line}.log"
                line = f"__serve {port} {shlex.quote(str(log))} {shlex.quote(command)}"
                substitutions.append(f"{block.source}:{block.line}: serve in the background")
            out.append(line)
    return Script("\n".join(out) + "\n", substitutions)
