"""CURVE key pairs for the bridge: ``xai-bridge-keygen`` and certificate loading.

A key pair is two ZeroMQ certificate files made by :func:`zmq.auth.create_certificates`:
``NAME.key`` (public key only; safe to copy, e.g. into the server's allow-list directory) and
``NAME.key_secret`` (public and secret key; readable by its owner only).

    xai-bridge-keygen --out keys --name server
    xai-bridge-keygen --out keys --name hololens --allow keys/allowed_clients

The server loads ``server.key_secret`` and the allow-list directory; a client loads its own
``NAME.key_secret`` and the server's ``server.key``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import zmq
import zmq.auth

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def load_keypair(path: Path | str) -> tuple[bytes, bytes]:
    """``(public_key, secret_key)``, Z85-encoded (40 bytes each), from a ``NAME.key_secret`` file.

    Raises:
        ValueError: the file is missing, is not a certificate, or holds no secret key (a public
            ``NAME.key`` file was passed).
    """
    public, secret = _load(path)
    if secret is None:
        raise ValueError(f"{path} holds no secret key (pass the NAME.key_secret file)")
    return public, secret


def load_public_key(path: Path | str) -> bytes:
    """Z85-encoded public key (40 bytes) from a ``NAME.key`` or ``NAME.key_secret`` file.

    Raises:
        ValueError: the file is missing or is not a certificate.
    """
    return _load(path)[0]


def _load(path: Path | str) -> tuple[bytes, bytes | None]:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"certificate file {path} does not exist")
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path} is not a ZeroMQ certificate: {e}") from None
    for what, key in (("public", public), ("secret", secret)):
        if key is not None and len(key) != 40:
            raise ValueError(f"{path}: {what} key is not 40 Z85 characters")
    return public, secret


def create_keypair(
    out_dir: Path, name: str, *, allow_dir: Path | None = None, force: bool = False
) -> tuple[Path, Path]:
    """Write ``out_dir/NAME.key`` and ``out_dir/NAME.key_secret`` (mode 0600).

    Args:
        out_dir: directory for the pair (created if needed).
        name: file stem: letters, digits, ``_``, ``.``, ``-``.
        allow_dir: also copy the public ``NAME.key`` into this allow-list directory.
        force: overwrite existing files instead of refusing.

    Returns:
        ``(public_file, secret_file)``.

    Raises:
        ValueError: a bad name, or a file exists and ``force`` is false.
        OSError: a directory cannot be created or written.
    """
    if not _NAME.match(name):
        raise ValueError(f"name {name!r} must be letters, digits, '_', '.', '-' (no slashes)")
    out_dir = Path(out_dir)
    public_file = out_dir / f"{name}.key"
    secret_file = out_dir / f"{name}.key_secret"
    targets = [public_file, secret_file]
    if allow_dir is not None:
        targets.append(Path(allow_dir) / f"{name}.key")
    if not force:
        for target in targets:
            if target.exists():
                raise ValueError(f"{target} already exists (pass --force to overwrite)")
    out_dir.mkdir(parents=True, exist_ok=True)
    # Generate inside a private (0700) temporary directory, restrict the secret file, then move
    # both into place: the secret key is never readable by others, not even briefly.
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".keygen-") as tmp:
        tmp_public, tmp_secret = (Path(p) for p in zmq.auth.create_certificates(tmp, name))
        os.chmod(tmp_secret, 0o600)
        os.replace(tmp_public, public_file)
        os.replace(tmp_secret, secret_file)
    if allow_dir is not None:
        Path(allow_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(public_file, Path(allow_dir) / f"{name}.key")
    return public_file, secret_file


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xai-bridge-keygen",
        description="Create a CURVE key pair (ZeroMQ certificate files) for the xai_bridge.",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory for the key pair")
    parser.add_argument("--name", required=True, help="file stem: NAME.key and NAME.key_secret")
    parser.add_argument(
        "--allow",
        type=Path,
        metavar="DIR",
        help="also copy the public NAME.key into this allow-list directory (server side)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``xai-bridge-keygen``; returns the exit status (0 ok, 1 error)."""
    args = _parser().parse_args(argv)
    if not zmq.has("curve"):
        print("xai-bridge-keygen: error: this libzmq has no CURVE support", file=sys.stderr)
        return 1
    try:
        public_file, secret_file = create_keypair(
            args.out, args.name, allow_dir=args.allow, force=args.force
        )
    except (ValueError, OSError) as e:
        print(f"xai-bridge-keygen: error: {e}", file=sys.stderr)
        return 1
    print(f"public key: {public_file}")
    print(f"secret key: {secret_file} (keep private)")
    if args.allow is not None:
        print(f"allowed:    {Path(args.allow) / public_file.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
