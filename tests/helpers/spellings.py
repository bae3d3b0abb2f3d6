"""A key written on one line in each encoded spelling the engine decodes, for every key kind.

Shared by the detect-secrets plugin tests (in-process and with the real CLI): whatever fits
detect-secrets' line model must be found by the plugin as `keylatch scan` finds it.
"""

from __future__ import annotations

import base64
import codecs
from collections.abc import Callable

from keylatch.rules.synthetic import ALL_KINDS, EXTRA_KINDS, MARKER, OAUTH_KINDS, make_key

# A refresh token is left out: it is reported only beside its access token, not on a line of
# its own.
KINDS = (*ALL_KINDS, *(k for k in EXTRA_KINDS if k != "openai-refresh-token"))
# Evidence before the key line for the kinds that need it (all of it, on one line).
EVIDENCE = '# OpenAI realtime and webhooks\nAZURE_OPENAI_ENDPOINT="https://contoso.openai.azure.com/"\n'
HEX = "azure-classic"


def _at(key: str) -> int:
    """A position inside the key's keyword (`T3BlbkFJ`, `JQQJ99`, a JWT's `eyJhbGciOi`), the
    hardest place for an escape, else near its end."""
    for word in (MARKER, "JQQJ99", "eyJhbGciOi"):
        if word in key:
            return key.index(word) + 3
    return len(key) - 5


# Each escape the engine decodes, of one character: JSON, HTML numeric, percent, C hex and octal.
ESCAPES: dict[str, Callable[[str], str]] = {
    "json-u": lambda c: f"\\u{ord(c):04x}",
    "percent": lambda c: f"%{ord(c):02X}",
    "hex-x": lambda c: f"\\x{ord(c):02x}",
    "octal": lambda c: f"\\{ord(c):03o}",
    "html-decimal": lambda c: f"&#{ord(c)};",
    "html-hex": lambda c: f"&#x{ord(c):x};",
}


def _escapes(key: str) -> dict[str, str]:
    i = _at(key)
    return {
        style: f"{key[:i]}{ESCAPES[style](key[i])}{key[i + 1 :]}"
        for style in ("percent", "json-u", "hex-x", "html-decimal")
    }


def spellings(kind: str, seed: int) -> dict[str, tuple[str, str]]:
    """name -> (text, key): `key` written once on the text's last line, in that spelling.

    The 32-hex Azure key is escaped, joined, or its own base64 value next to its name (escapes
    and joins are decoded in a file with Azure OpenAI evidence); `ek_` is found only inside a
    base64 value that holds another key too.
    """
    key = make_key(kind, seed=seed)
    name = "AZURE_OPENAI_API_KEY" if kind == HEX else "OPENAI_API_KEY"
    out: dict[str, tuple[str, str]] = {"plain": (f'{name} = "{key}"\n', key)}
    for style, text in _escapes(key).items():
        out[f"escaped-{style}"] = (f'{name} = "{text}"\n', key)
    # Every character escaped: a keyword wholly escaped gates the decoder (rules.escape_gates).
    for style in ("json-u", "hex-x"):
        out[f"escaped-whole-{style}"] = (f'{name} = "{"".join(ESCAPES[style](c) for c in key)}"\n', key)
    # Hex digits (`bytes.hex()`): the key alone where its keyword has 4 bytes or more, else with
    # its name, whose `AZURE` gates the decoder too (rules.hex_gates); `ek_` has no hex gate.
    if kind != "ek_":
        out["hex-value"] = (f"{name}_HEX = {(key if kind != HEX else f'{name}={key}').encode().hex()}\n", key)
    if kind == HEX:
        out["base64-own-value"] = (f"{name}: {base64.b64encode(key.encode()).decode()}\n", key)
        out["joined-plus"] = (f'{name} = "{key[:16]}" + "{key[16:]}"\n', key)
        value = base64.b64encode(f"{name}={key}\n".encode()).decode()  # spells AZURE: decoded
        out["base64-value"] = (f"data: {value}\n", key)
    else:
        if kind in OAUTH_KINDS:
            out["base64-value"] = (f"data: {base64.b64encode(f'{name}={key}'.encode()).decode()}\n", key)
        cut = len(key) - 9
        out["joined-plus"] = (f'{name} = "{key[:cut]}" + "{key[cut:]}"\n', key)
        out["joined-adjacent"] = (f"{name} = '{key[:cut]}' '{key[cut:]}'\n", key)
        if kind in OAUTH_KINDS:
            return {n: (EVIDENCE + text, k) for n, (text, k) in out.items()}
        value = f"{name}={key}\n"
        if kind == "ek_":  # its 3-byte keyword is too short to gate base64: another key does
            value += f"OTHER={make_key('sk-proj-', seed=seed)}\n"
        out["base64-value"] = (f"data: {base64.b64encode(value.encode()).decode()}\n", key)
    return {n: (EVIDENCE + text, k) for n, (text, k) in out.items()}


def glued(kind: str, seed: int) -> tuple[bytes, str]:
    """A `.pyc`-like line: an `sk-` key glued to the next object's type byte, NULs around it."""
    key = make_key(kind, seed=seed)
    return b"\0\xa4" + key.encode() + b"N\0\n", key


# Text as UTF-32 writes it: each byte order, with and without its BOM (Python's "utf-32" is the
# native order with a BOM; spelled out here so both orders get one).
UTF32: dict[str, Callable[[str], bytes]] = {
    "le-bom": lambda t: codecs.BOM_UTF32_LE + t.encode("utf-32-le"),
    "le": lambda t: t.encode("utf-32-le"),
    "be-bom": lambda t: codecs.BOM_UTF32_BE + t.encode("utf-32-be"),
    "be": lambda t: t.encode("utf-32-be"),
}
