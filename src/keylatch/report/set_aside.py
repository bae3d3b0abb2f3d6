"""What the settings set aside, said the same way by every command (policy.SetAside).

A repository's baseline, `allow-lines`, allow comments, `exclude` globs and `enable`/`disable`
may keep keys out of a report; the exit code follows them (they are the team's decisions), but
a run never hides that they did:

    keylatch: warning: 5 keys not reported, set aside by settings: 1 in the baseline, 1 by
    allow-lines, 1 by an allow comment, 2 at excluded paths; rules disabled by settings: openai-admin-key;
    paths matching exclude globs of the settings not read: 'vendor/*'

(`keylatch scan` applies `exclude` while walking, so what a glob keeps out is never read: the
globs are named, not the keys counted.)

Text: on stderr (a `set-aside` notice); JSON: a `set_aside` object of counts and the notice;
SARIF: the run's properties and an invocation notification; github: an annotation. A run where
nothing was set aside prints exactly what it printed before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keylatch.policy import SetAside
    from keylatch.report.notice import Notice

SET_ASIDE = "set-aside"  # notice kind (stable: JSON and SARIF consumers match on it)
GLOBS_SHOWN = 5  # exclude globs named one by one; a config of a thousand prints one line


def _keys(count: int) -> str:
    return f"{count} key{'s' if count != 1 else ''}"


def text(aside: SetAside) -> str:
    """One line (no prefix), each part only when non-zero; "" when nothing was set aside."""
    counts = (
        (aside.baseline, "in the baseline"),
        (aside.allow_lines, "by allow-lines"),
        (aside.allow_comment, "by an allow comment"),
        (aside.excluded, "at excluded paths"),
    )
    parts = [f"{n} {what}" for n, what in counts if n]
    total = sum(n for n, _ in counts)
    out = f"{_keys(total)} not reported, set aside by settings: {', '.join(parts)}" if parts else ""
    more = []
    if aside.rules_off:
        more.append(f"rules disabled by settings: {', '.join(aside.rules_off)}")
    if aside.unread_globs:
        from keylatch.report.notice import safe  # globs are the scanned repository's text

        shown = [safe(repr(g)) for g in aside.unread_globs[:GLOBS_SHOWN]]
        if len(aside.unread_globs) > GLOBS_SHOWN:
            shown.append(f"{len(aside.unread_globs) - GLOBS_SHOWN} more")
        more.append(f"paths matching exclude globs of the settings not read: {', '.join(shown)}")
    return "; ".join([out, *more] if out else more)


def notices(aside: SetAside) -> tuple[Notice, ...]:
    """The `set-aside` notice (level warning), or none when nothing was set aside."""
    if not aside:
        return ()
    from keylatch.report.notice import Notice

    return (Notice(SET_ASIDE, "warning", text(aside)),)


def as_dict(aside: SetAside) -> dict[str, object]:
    """JSON's `set_aside` object (additive; present only when something was set aside)."""
    return {
        "baseline": aside.baseline,
        "allow_lines": aside.allow_lines,
        "allow_comment": aside.allow_comment,
        "excluded": aside.excluded,
        "rules_disabled": list(aside.rules_off),
        "excluded_globs_not_read": len(aside.unread_globs),
    }
