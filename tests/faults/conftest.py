from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.faults.support import Child, PostgresCluster, RedisServer, WebServer
from tests.integration.conftest import worker_factory  # noqa: F401


@pytest.fixture
def servers(request, tmp_path) -> Iterator[list]:
    """Everything a test starts goes in this list: stopped at the end, logs shown on failure."""
    started: list = []
    yield started
    for server in reversed(started):
        try:
            server.destroy() if isinstance(server, PostgresCluster) else server.stop()
        except Exception as exc:  # a server the test left stopped, or one that hangs
            print(f"stopping {server!r}: {exc}")
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        for server in started:
            child = server if isinstance(server, Child) else getattr(server, "child", None)
            if child is not None:
                print(f"\n----- {child.name} -----\n{child.log()[-8000:]}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def redis_server(servers, tmp_path) -> RedisServer:
    redis = RedisServer(tmp_path)
    redis.start()
    servers.append(redis)
    return redis


@pytest.fixture
def web_server(servers, tmp_path):
    def start(env: dict[str, str], **options) -> WebServer:
        web = WebServer(tmp_path)
        servers.append(web)
        web.start(env, **options)
        return web

    return start


class WebhookReceiver:
    """An HTTP endpoint that records every delivery it gets (headers and JSON body)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
