"""Per-instance filesystems and the bubblewrap sandbox commands run in.

Each instance has a root directory ``<data>/instances/<id>/root`` holding the
writable parts of a Linux tree (``/etc /opt /root /home /tmp /var /srv /usr/local``).
Commands run with bubblewrap: host ``/usr`` read-only (with the usual ``/bin``,
``/lib``... symlinks), the instance directories bound read-write on top, new
PID/IPC/UTS/mount (and user, where possible) namespaces, the host network shared.
``/etc`` is the instance's own writable directory, seeded with copies of a few
host files (passwd, group, hosts, resolv.conf, ...); a handful of bigger host
subdirectories (``/etc/ssl``, ``/etc/alternatives``, ``/etc/apt``...) are
bound read-only on top of it so CA certificates and alternatives work.
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
_roots_lock = threading.Lock()
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


# /etc: these small files are copied into each instance (writable); the bigger
# host subdirectories below are bound read-only on top inside the sandbox.
ETC_FILES = ("passwd", "group", "hosts", "hostname", "resolv.conf", "nsswitch.conf", "profile", "shells",
             "environment", "ld.so.cache", "ld.so.conf", "login.defs", "localtime", "timezone", "os-release",
             "ca-certificates.conf", "bash.bashrc", "issue", "debian_version", "mime.types", "protocols",
             "services", "inputrc", "adduser.conf", "subuid", "subgid")
ETC_RO_DIRS = ("ssl", "alternatives", "ca-certificates", "ld.so.conf.d", "profile.d", "apt", "dpkg",
               "security", "pam.d", "default", "skel", "pki", "crypto-policies")


def _base_dir() -> str:
    """A pristine skeleton made once per data dir (small: copying must be cheap)."""
    base = os.path.join(STATE.data_dir, "base-root")
    with _base_lock:
        if not os.path.isdir(base):
            tmp = base + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            for d in WRITABLE_DIRS:
                os.makedirs(os.path.join(tmp, d), exist_ok=True)
            for name in ETC_FILES:
                src = os.path.join("/etc", name)
                dst = os.path.join(tmp, "etc", name)
                if os.path.islink(src):
                    os.symlink(os.readlink(src), dst)
                elif os.path.isfile(src):
                    _copy_quiet(src, dst)
            for d in ETC_RO_DIRS:
                if os.path.isdir(os.path.join("/etc", d)):
                    os.makedirs(os.path.join(tmp, "etc", d), exist_ok=True)
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
    # Several commands (a script and its output peeks) may reach a fresh
    # instance at once: create the root once, under a lock, and publish it
    # with an atomic rename so no one sees a half-copied tree.
    with _roots_lock:
        if os.path.isdir(root):
            return root
        staging = root + ".creating"
        shutil.rmtree(staging, ignore_errors=True)
        copy_tree(_root_source(instance_id) or _base_dir(), staging)
        os.rename(staging, root)
    return root


def _root_source(instance_id: str) -> str | None:
    """The files an instance starts with: those of the image it was launched
    from, when that image carries files."""
    rec = STATE.instances.get(instance_id, {})
    src = None
    image_id = rec.get("image_id")
    if image_id:
        img = STATE.images.get(image_id)
        if img and img.get("files") and os.path.isdir(img["files"]):
            src = img["files"]
    if src is None and rec.get("image_files") and os.path.isdir(rec["image_files"]):
        src = rec["image_files"]
    return src


def snapshot_root(instance_id: str, dest: str) -> None:
    """Capture an instance's files (CreateImage)."""
    root = ensure_root(instance_id)
    shutil.rmtree(dest, ignore_errors=True)
    copy_tree(root, dest)


# `stub` mode: programs that need a real Linux distribution or the internet
# are replaced by shims that record their arguments and succeed. Everything
# else (sh, coreutils, curl to 127.0.0.1, sha256sum, base64) is real, so a
# provisioning tool's own protocol runs as it would on an instance.
STUBBED_PROGRAMS = ("dnf", "yum", "rpm", "apt-get", "apt", "dpkg", "git", "systemctl", "service", "useradd",
                    "groupadd", "usermod", "userdel", "chown", "npm", "npx", "node", "pip", "pip3", "amazon-linux-extras")
STUB_DIR_INSIDE = "/run/amibake-stubs"
STUB_LOG_INSIDE = "/run/amibake-stub-log"

_STUB_SCRIPT = r"""#!/bin/sh
# amibake emulator stub: records the call and succeeds (docs/emulator.md).
name=$(basename "$0")
printf '%s\n' "$name $*" >> /run/amibake-stub-log/calls
if [ "$name" = git ] && [ "$1" = clone ]; then
  # A clone's visible effect: the destination directory exists.
  last=""; for a in "$@"; do last="$a"; done
  case "$last" in *://*|*@*:*) dest=$(basename "$last" .git) ;; *) dest="$last" ;; esac
  mkdir -p "$dest/.git"
fi
exit 0
"""


def _stub_dir() -> str:
    d = os.path.join(STATE.data_dir, "stubs")
    with _base_lock:
        if not os.path.isdir(d):
            tmp = d + ".creating"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            for name in STUBBED_PROGRAMS:
                path = os.path.join(tmp, name)
                with open(path, "w") as f:
                    f.write(_STUB_SCRIPT)
                os.chmod(path, 0o755)
            os.rename(tmp, d)
    return d


def _stub_log_dir(instance_id: str) -> str:
    d = os.path.join(os.path.dirname(STATE.instance_root(instance_id)), "stub-log")
    os.makedirs(d, exist_ok=True)
    return d


def stubbed_calls(instance_id: str) -> list[str]:
    """The stubbed programs an instance called, in order (`stub` mode)."""
    try:
        with open(os.path.join(_stub_log_dir(instance_id), "calls")) as f:
            return [line.rstrip("\n") for line in f]
    except OSError:
        return []


def sandbox_argv(root: str, workdir: str, argv: list[str],
                 stubs_for: str | None = None) -> tuple[list[str], str | None, dict[str, str]]:
    """Return (argv, cwd, env) to run ``argv`` inside the instance ``root``;
    with ``stubs_for`` (an instance ID) the stubbed programs come first on PATH."""
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
        for d in ETC_RO_DIRS:
            if os.path.isdir(os.path.join("/etc", d)):
                cmd += ["--ro-bind", os.path.join("/etc", d), "/etc/" + d]
        if stubs_for:
            env["PATH"] = STUB_DIR_INSIDE + ":" + env["PATH"]
            cmd += ["--ro-bind", _stub_dir(), STUB_DIR_INSIDE, "--bind", _stub_log_dir(stubs_for), STUB_LOG_INSIDE]
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
