"""WSGI middleware around moto's in-process server, and the process entry point."""

from __future__ import annotations

import os

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
os.environ.setdefault("MOTO_ENABLE_AMI_VALIDATION", "true")
os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")

import argparse  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http import HTTPStatus  # noqa: E402
from typing import Any, Callable  # noqa: E402

from werkzeug.serving import make_server  # noqa: E402

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

from . import calls, control, ec2_extras, faults, lifecycle, perf, sandbox, ssm_agent  # noqa: E402
from .protocol import internal_error, parse_request, read_body, unimplemented_error  # noqa: E402
from .state import PROFILES, STATE, tick  # noqa: E402


class QuietHandler(MotoRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # the call log replaces access logs
        pass


def _create_app(service: Any) -> Any:
    app = create_backend_app(service)
    # Let exceptions reach our middleware instead of becoming HTML 500 pages.
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app


class EmulatorApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(_create_app)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_amibake/") or path == "/_amibake":
            return control.wsgi(environ, start_response)
        if path.startswith("/moto-api"):
            return self.moto(environ, start_response)
        started = time.time()
        body = read_body(environ)
        info = parse_request(environ, body)
        delay, err = faults.check(info)
        if delay:
            time.sleep(delay)
        if err is not None:
            status, headers, out = err
        else:
            status, headers, out = self._call_moto(environ, info)
        calls.record(info, status, started)
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")]
        headers.append(("Content-Length", str(len(out))))
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        start_response(f"{status} {reason}", headers)
        return [out]

    def _call_moto(self, environ: dict[str, Any], info: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def sr(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = list(headers)
            return lambda _b: None

        try:
            with STATE.lock:
                tick()
                it = self.moto(environ, sr)
                try:
                    out = b"".join(it)
                finally:
                    if hasattr(it, "close"):
                        it.close()
        except NotImplementedError:
            return unimplemented_error(info)
        except Exception as e:
            import traceback

            traceback.print_exc()
            return internal_error(info, f"{type(e).__name__}: {e}")
        status = int(captured.get("status", "500").split()[0])
        headers = captured.get("headers", [])
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        if status >= 500 and "html" in ctype:
            return internal_error(info, "emulator: moto failed on this call")
        if status == 404 and "html" in ctype:
            return unimplemented_error(info)
        return status, headers, out


def install_patches() -> None:
    perf.install()
    lifecycle.install()
    ec2_extras.install()
    ssm_agent.install()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m amibake_emulator",
        description="amibake's AWS emulator: moto 5.2.5 plus the AWS behaviour amibake depends on "
        "(state delays, IAM propagation, an SSM agent that runs commands in a sandbox, images that carry "
        "files, missing EC2 image calls, fault injection, a call log). Listens on 127.0.0.1 only. "
        "See docs/emulator.md.",
    )
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free port)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="test", help="delay profile (default: test)")
    p.add_argument("--ssm-mode", choices=["execute", "stub", "record"], default="execute",
                   help="execute: run AWS-RunShellScript commands in a sandbox; record: only record them")
    p.add_argument("--delay", action="append", default=[], metavar="KEY=SECONDS",
                   help="override one delay, e.g. --delay image_pending=1.5 (repeatable)")
    p.add_argument("--data-dir", help="where instance and image files live (default: a temp dir removed at exit)")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="stop when stdin closes (used by the Rust test support so orphans never linger)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir:
        STATE.set_data_dir(args.data_dir)
    control.apply_config({"profile": args.profile, "ssm_mode": args.ssm_mode})
    for item in args.delay:
        k, _, v = item.partition("=")
        control.apply_config({"delays": {k: float(v)}})
    install_patches()
    sandbox.bwrap_works()
    lifecycle.start_ticker()

    server = make_server("127.0.0.1", args.port, EmulatorApp(), threaded=True,
                         request_handler=QuietHandler)
    server.daemon_threads = True
    port = server.server_port
    stopping = threading.Event()

    def stop(*_: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    import faulthandler

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID` dumps every thread's stack
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        def watch() -> None:
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except Exception:
                pass
            stop()

        threading.Thread(target=watch, daemon=True).start()

    print(f"http://127.0.0.1:{port}", flush=True)
    print(f"amibake-emulator: listening on http://127.0.0.1:{port} (profile {args.profile}, "
          f"ssm mode {args.ssm_mode}, data {STATE.data_dir})", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        STATE.cleanup()
        print("amibake-emulator: stopped", file=sys.stderr, flush=True)
    return 0
