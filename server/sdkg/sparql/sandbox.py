"""Limits a query worker puts on itself before it reads a query: no network, a memory cap; and the tie
that makes every child process of the server or the build die with it.

- :func:`no_network`: a seccomp filter that makes ``socket(AF_INET | AF_INET6, …)`` fail with
  ``EPERM``. pyoxigraph fetches any URL a ``SERVICE`` or ``LOAD`` names; the text guard
  (:mod:`.guard`) reads the query as a tokeniser does, and a parser that reads it otherwise
  could still reach the network. A worker that cannot open an Internet socket cannot be made
  to fetch anything, whatever its parser understood. Queries that use an allowed endpoint
  run in a worker without the filter (:class:`~.workers.WorkerEngine`). Unprivileged: it needs
  ``PR_SET_NO_NEW_PRIVS`` only. On machines other than x86-64 and arm64 it is not installed
  (:func:`no_network` returns ``False``) and the text guard is the only barrier.
- :func:`cap_memory`: ``RLIMIT_AS`` at the current address space plus the cap, so that a query
  that grows the worker past it fails there (Rust aborts the process, Python raises
  ``MemoryError``) instead of taking the machine's memory. Measured from what the worker
  already maps (the interpreter, pyoxigraph, RocksDB's files), so the cap is what queries may add.
- :func:`child_environment` and :func:`die_with_parent`: a child started with that environment asks
  the kernel (``PR_SET_PDEATHSIG``) to kill it when its parent dies. A server or a build killed
  outright (``SIGKILL``, the out-of-memory killer) closes its sockets, and an idle worker sees that;
  but a worker in the middle of a query, a rule or an admin change would run on to its end, with
  nobody to stop it at a deadline or to read its answer.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
import struct
import threading

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EPERM = 1
AF_INET, AF_INET6 = 2, 10
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
"""Machine → (the audit arch seccomp reports, the number of the ``socket`` system call)."""


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def no_network() -> bool:
    """Forbid this process (and its children) Internet sockets; ``False`` when this machine is not supported."""
    arch = ARCHES.get(platform.machine())
    if arch is None:
        return False
    audit_arch, socket_call = arch
    load, jump, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    program = b"".join(
        [
            _instruction(load, 0, 0, 4),  # seccomp_data.arch
            _instruction(jump, 0, 5, audit_arch),  # another ABI: allow
            _instruction(load, 0, 0, 0),  # seccomp_data.nr
            _instruction(jump, 0, 3, socket_call),  # not socket(): allow
            _instruction(load, 0, 0, 16),  # args[0], the address family
            _instruction(jump, 2, 0, AF_INET),
            _instruction(jump, 1, 0, AF_INET6),
            _instruction(ret, 0, 0, SECCOMP_RET_ALLOW),
            _instruction(ret, 0, 0, SECCOMP_RET_ERRNO | EPERM),
        ]
    )
    buffer = ctypes.create_string_buffer(program)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        return False
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        return False
    return True


def address_space() -> int:
    """Bytes of address space this process maps now (``VmSize``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


PARENT_VARIABLE = "SDKG_DIE_WITH_PARENT"
"""Set by :func:`child_environment` to the parent's process id; read (and removed) by :func:`die_with_parent`."""


def child_environment() -> dict[str, str]:
    """The environment for a query worker, a rule's process or an admin change's process.

    - ``MALLOC_ARENA_MAX=2``: glibc reserves 64 MB of address space per malloc arena (one per thread
      that allocates), which would count against a :func:`cap_memory` cap without being used, and
      stay mapped in a rule's process; two arenas are enough for one query, rule or change at a time.
    - :data:`PARENT_VARIABLE`, so that the child's :func:`die_with_parent` ties it to this process.
      Linux sends the parent-death signal when the *thread* that started the child ends, so only a
      child started from the main thread (which ends with the process) is tied: one started from
      another thread (a test's client thread) would be killed when that thread ends.
    """
    environment = {**os.environ, "MALLOC_ARENA_MAX": "2"}
    environment.pop(PARENT_VARIABLE, None)
    if threading.current_thread() is threading.main_thread():
        environment[PARENT_VARIABLE] = str(os.getpid())
    return environment


def die_with_parent() -> bool:
    """Be killed (``SIGKILL``) when the parent that :func:`child_environment` named dies; exit at once if
    it has died already. ``False`` when this process was not started tied (or the kernel refused)."""
    parent = os.environ.pop(PARENT_VARIABLE, None)
    if parent is None or not parent.isdigit():
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if os.getppid() != int(parent):  # the parent died before the tie was made
        os._exit(1)
    return True


def cap_memory(extra_bytes: int) -> int:
    """Cap the address space at what is mapped now plus ``extra_bytes``; returns the limit (0: none set)."""
    if extra_bytes <= 0:
        return 0
    limit = address_space() + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit
