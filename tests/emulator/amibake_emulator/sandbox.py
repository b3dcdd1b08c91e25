"""Per-instance filesystems and the bubblewrap sandbox commands run in.

Each instance has a root directory ``<data>/instances/<id>/root`` holding the
writable parts of a Linux tree (``/etc /opt /root /home /tmp /var /srv /usr/local``).
Commands run with bubblewrap: host ``/usr`` read-only (with the usual ``/bin``,
``/lib``... symlinks), the instance directories bound read-write on top, new
PID/IPC/UTS/mount (and user, where possible) namespaces, the host network shared.
``/etc`` starts as a copy of the host's ``/etc`` taken when the instance root
is created (so users, resolv.conf and CA certificates work), then belongs to
the instance.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading

from .state import STATE

WRITABLE_DIRS = ("etc", "opt", "root", "home", "tmp", "var", "srv", "usr/local")
_base_lock = threading.Lock()
_bwrap_ok: bool | None = None


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def bwrap_works() -> bool:
    global _bwrap_ok
    if _bwrap_ok is None:
        b = bwrap_path()
        if not b:
            _bwrap_ok = False
        else:
            try:
                r = subprocess.run(
                    [b, "--unshare-all", "--share-net", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                     "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                     "--symlink", "usr/lib64", "/lib64",
                     "--proc", "/proc", "--dev", "/dev", "/bin/sh", "-c", "exit 0"],
                    capture_output=True, timeout=20,
                )
                _bwrap_ok = r.returncode == 0
            except Exception:
                _bwrap_ok = False
        if not _bwrap_ok:
            print("amibake-emulator: WARNING bubblewrap unavailable; commands run unsandboxed "
                  "(cwd/HOME/TMPDIR inside the instance directory)", file=sys.stderr)
    return _bwrap_ok


def _base_dir() -> str:
    """A pristine skeleton (with a copy of host /etc) made once per data dir."""
    base = os.path.join(STATE.data_dir, "base-root")
    with _base_lock:
        if not os.path.isdir(base):
            tmp = base + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            for d in WRITABLE_DIRS:
                if d == "etc":
                    shutil.copytree("/etc", os.path.join(tmp, "etc"), symlinks=True,
                                    ignore_dangling_symlinks=True,
                                    ignore=shutil.ignore_patterns("shadow*", "gshadow*", "ssh"),
                                    copy_function=_copy_quiet)
                else:
                    os.makedirs(os.path.join(tmp, d), exist_ok=True)
            os.chmod(os.path.join(tmp, "tmp"), 0o1777)
            for d in ("var/tmp", "var/log", "var/lib", "var/cache", "home/ec2-user"):
                os.makedirs(os.path.join(tmp, d), exist_ok=True)
            os.chmod(os.path.join(tmp, "var/tmp"), 0o1777)
            os.rename(tmp, base)
    return base


def _copy_quiet(src: str, dst: str) -> None:
    try:
        shutil.copy2(src, dst)
    except OSError:
        pass


def copy_tree(src: str, dst: str) -> None:
    """Copy a directory tree preserving symlinks/modes (cp -a when available)."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if shutil.which("cp"):
        r = subprocess.run(["cp", "-a", "--reflink=auto", src, dst], capture_output=True)
        if r.returncode == 0:
            return
        shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True, copy_function=_copy_quiet)


def ensure_root(instance_id: str) -> str:
    """Create the instance's root on first use: from its image's files when the
    image carries files, otherwise from the pristine skeleton."""
    root = STATE.instance_root(instance_id)
    if os.path.isdir(root):
        return root
    rec = STATE.instances.get(instance_id, {})
    src = None
    image_id = rec.get("image_id")
    if image_id:
        img = STATE.images.get(image_id)
        if img and img.get("files") and os.path.isdir(img["files"]):
            src = img["files"]
    if src is None and rec.get("image_files") and os.path.isdir(rec["image_files"]):
        src = rec["image_files"]
    copy_tree(src or _base_dir(), root)
    return root


def snapshot_root(instance_id: str, dest: str) -> None:
    """Capture an instance's files (CreateImage)."""
    root = ensure_root(instance_id)
    shutil.rmtree(dest, ignore_errors=True)
    copy_tree(root, dest)


def sandbox_argv(root: str, workdir: str, argv: list[str]) -> tuple[list[str], str | None, dict[str, str]]:
    """Return (argv, cwd, env) to run ``argv`` inside the instance ``root``."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "TMPDIR": "/tmp",
        "USER": "root",
        "LOGNAME": "root",
        "LANG": "C.UTF-8",
        "SHELL": "/bin/sh",
    }
    if bwrap_works():
        cmd = [bwrap_path() or "bwrap", "--unshare-all", "--share-net", "--die-with-parent",
               "--new-session", "--ro-bind", "/usr", "/usr"]
        for link, target in (("/bin", "usr/bin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64"),
                             ("/sbin", "usr/sbin"), ("/lib32", "usr/lib32")):
            if os.path.islink(link) or not os.path.exists(link):
                if os.path.exists("/" + target):
                    cmd += ["--symlink", target, link]
            else:
                cmd += ["--ro-bind", link, link]
        for d in WRITABLE_DIRS:
            os.makedirs(os.path.join(root, d), exist_ok=True)
            cmd += ["--bind", os.path.join(root, d), "/" + d]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--hostname", "ip-10-0-0-1",
                "--chdir", workdir, "--clearenv"]
        for k, v in env.items():
            cmd += ["--setenv", k, v]
        return cmd + argv, None, env
    # Fallback: no container; map paths under the instance root.
    env = dict(env)
    env["HOME"] = os.path.join(root, "root")
    env["TMPDIR"] = os.path.join(root, "tmp")
    host_wd = os.path.join(root, workdir.lstrip("/"))
    os.makedirs(host_wd, exist_ok=True)
    host_argv = [a if not a.startswith("/var/lib/amazon") else os.path.join(root, a.lstrip("/")) for a in argv]
    return host_argv, host_wd, env


def host_path(root: str, inside: str) -> str:
    """Map a path inside the sandbox to the host (only for writable dirs)."""
    return os.path.join(root, inside.lstrip("/"))
