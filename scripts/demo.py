"""Render a service with default answers, serve it on SQLite with the offline model, and show
a conversation that survives a restart.

Usage (what ``make demo`` runs)::

    uv run python -m scripts.demo --dir build/demo --port 8000

Exits non-zero if any step fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import yaml

from tests.helpers import clean_environment, render

SESSION_ID = "demo-conversation"
MESSAGES = ["Hi! My name is Ada.", "What did I tell you my name was?", "Are you still there?"]


class DemoError(RuntimeError):
    pass


def step(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    print(f"$ {' '.join(command)}", flush=True)
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DemoError(
            f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )


def service_environment(project: Path) -> dict[str, str]:
    """The outer environment minus anything that would leak into the demo service."""
    return clean_environment(
        {
            "APP_DATABASE_BACKEND": "sqlite",
            "APP_DATABASE_SQLITE_PATH": str(project / "data" / "app.db"),
            "APP_AGENT_MODEL": "echo",
            # Authentication is switched off explicitly for the local demo only.
            "APP_AUTH_DISABLED": "true",
        }
    )


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class Server:
    """The rendered service's own ``serve`` command, as a subprocess."""

    def __init__(self, project: Path, slug: str, port: int, env: dict[str, str]) -> None:
        self.project, self.slug, self.port, self.env = project, slug, port, env
        self.process: subprocess.Popen[str] | None = None
        self.log = project / "data" / "demo-server.log"

    def start(self) -> None:
        if not port_is_free(self.port):
            raise DemoError(
                f"port {self.port} is already in use; choose another: "
                f"make demo DEMO_PORT={self.port + 1} (or --port with scripts.demo)"
            )
        command = ["uv", "run", self.slug, "serve", "--port", str(self.port)]
        print(f"$ {' '.join(command)}", flush=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                command, cwd=self.project, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DemoError(f"the server exited early; see {self.log}\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    model_line = next(
                        (
                            line
                            for line in reversed(self.tail().splitlines())
                            if "agent model" in line
                        ),
                        "",
                    )
                    print(f"server ready at {self.url} ({model_line.strip() or 'started'})")
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise DemoError(f"the server did not become ready within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        print("server stopped")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def chat(client: httpx.Client, turn: int, message: str) -> str:
    response = client.post("/chat", json={"session_id": SESSION_ID, "message": message})
    if response.status_code != 200:
        raise DemoError(f"POST /chat answered {response.status_code}: {response.text}")
    output = response.json()["output"]
    print(f"[turn {turn}] you:   {message}")
    print(f"[turn {turn}] agent: {output}")
    return output


def show_items(client: httpx.Client) -> list[dict]:
    response = client.get(f"/sessions/{SESSION_ID}/items")
    if response.status_code != 200:
        raise DemoError(f"GET items answered {response.status_code}: {response.text}")
    items = response.json()["items"]
    print(f"GET /sessions/{SESSION_ID}/items -> {len(items)} items")
    for number, item in enumerate(items, 1):
        content = item.get("content")
        text = content if isinstance(content, str) else content[0].get("text", "")
        print(f"  {number}. {item.get('role', item.get('type')):<9} {text}")
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("build/demo"))
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    project = args.dir.resolve()

    step(f"Render the template with default answers into {project}")
    if project.exists():
        shutil.rmtree(project)
    render(project)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    slug = answers["project_slug"]
    env = service_environment(project)

    step("Install and migrate (SQLite)")
    run(["uv", "sync", "--quiet"], project, env)
    run(["uv", "run", slug, "migrate"], project, env)

    server = Server(project, slug, args.port, env)
    try:
        step("Serve with the offline echo model and chat twice")
        server.start()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            chat(client, 1, MESSAGES[0])
            second = chat(client, 2, MESSAGES[1])
            if "(history: 2 items)" not in second:
                raise DemoError("the second turn did not see the first one")
            step("The stored conversation")
            if len(show_items(client)) != 4:
                raise DemoError("expected 4 stored items after two turns")

        step("Restart the server: the memory lives in the database")
        server.stop()
        server.start()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            third = chat(client, 3, MESSAGES[2])
            if "(history: 4 items)" not in third:
                raise DemoError("the third turn did not see the history after the restart")
            sessions = client.get("/sessions").json()["sessions"]
            print(f"GET /sessions -> {json.dumps(sessions)}")
    except DemoError as exc:
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr)
        print(server.tail(), file=sys.stderr)
        return 1
    finally:
        server.stop()

    step("Done: the conversation remembered across turns and a restart")
    print(
        textwrap.dedent(
            f"""
            Serve it yourself:
              cd {project}
              APP_AUTH_DISABLED=true uv run {slug} serve --port {args.port}
              curl -s localhost:{args.port}/chat -H 'content-type: application/json' \\
                   -d '{{"session_id": "me", "message": "hello"}}'
            Use a real model: APP_AGENT_MODEL=gpt-4.1-mini OPENAI_API_KEY=sk-... (see docs/memory.md)
            """
        ).rstrip()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
