"""The sha256 behind every fingerprint, cache key and wheel record ws writes.

hashlib loads OpenSSL when imported (~6 ms, a tenth of what `ws run` may add to its command);
CPython's own built-in sha256 gives the same digests for the small inputs ws hashes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # CPython 3.10, 3.11
        except ImportError:  # a build without the built-in hashes (some FIPS builds)
            from hashlib import sha256

__all__ = ["sha256"]
