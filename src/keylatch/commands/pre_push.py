"""`keylatch pre-push [REMOTE [URL]]`: the pre-push hook. Scans every commit the push publishes,
and every blob or tree a pushed ref is or tags (`git tag keys <blob>`: history/direct.py).

As a plain git hook it reads git's ref lines from stdin (every ref of the push). Under the
pre-commit framework, which consumes those lines and passes only the first ref, it scans every
local branch and tag not yet on the remote (see sources/push.py). By hand (stdin a terminal) it
does the same for REMOTE (default: origin).
"""

from __future__ import annotations

import argparse
import os
import sys

from keylatch.errors import ExitCode, ScanError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.model import Finding
    from keylatch.sources.gitcmd import Git

HELP = "scan the commits a push would publish (the pre-push hook)"


class Args(argparse.Namespace):
    remote: str | None
    url: str | None
    no_color: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("remote", nargs="?", help="remote name, as git passes it to pre-push (default: origin)")
    parser.add_argument("url", nargs="?", help="remote URL, as git passes it (informational)")
    parser.add_argument("--no-color", action="store_true", help="never colour the report")


def run(args: Args) -> ExitCode:
    from keylatch.sources import push
    from keylatch.sources.gitcmd import Git

    git = Git(None)  # the hook's own directory, as git runs it
    try:
        if os.environ.get("PRE_COMMIT_REMOTE_NAME") and not args.remote:
            plan = push.from_environment(git, os.environ)
        else:
            remote = args.remote or "origin"
            lines = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
            refs = push.parse_ref_lines(lines)
            # No ref lines at all (not run by git): assume everything local that the remote lacks.
            plan = push.from_ref_lines(git, remote, refs) if refs else push.unpushed(git, remote)
        # The newest pushed commit and the boundary, from one walk. First: outside a repository,
        # that is the error to report.
        new, walked = push.ends(git, plan)
        # A tag pushed alone brings no commit but a new tag object whose message is read.
        tagged = "" if new else push.tag_only(plan)
        if args.remote and not args.url:
            _check_remote(git, args.remote)
    except ScanError as exc:
        from keylatch.sources.revs import not_a_repo

        raise not_a_repo(exc, os.getcwd()) from exc  # run outside a repository: exit 2, as everywhere
    if not new and not tagged and not plan.objects:
        from keylatch.report.untrusted import for_terminal

        print(f"keylatch: nothing new to push to {for_terminal(plan.remote)}", file=sys.stderr)
        return ExitCode.CLEAN
    from pathlib import Path

    from keylatch.commands import hook_policy
    from keylatch.report import hook_text
    from keylatch.sources.staged import top_and_prefix

    # Judged with the settings of the commits the remote already has, never with the pushed
    # commits' or the working tree's: a push cannot approve itself (hook_policy.judge_push).
    # Excluded paths, disabled rules and allow comments apply as in `keylatch ci`. A push from a
    # shallow clone is fine: its new commits are all here, and the range stops at the remote.
    top = Path(top_and_prefix(git)[0]).absolute()
    # A tag pushed alone is judged with the settings of the commit it points at (the remote has it);
    # a blob or tree pushed alone, with those of the remote's default branch, when known.
    if new:
        bases = walked
    else:
        bases = (tagged,) if tagged else push.remote_head(git, plan.remote)
    head = new or tagged or (bases[0] if bases else "")
    verdict = hook_policy.judge_push(git, top, plan.revs, bases, head, plan.objects, plan.commits)
    for notice in verdict.notices:
        sys.stderr.write(hook_text.settings_notice(notice, plan.remote))
    if verdict.set_aside:  # the bases' settings never hide keys silently (report/set_aside.py)
        from keylatch.report.notice import text_lines
        from keylatch.report.set_aside import notices as aside_notices

        sys.stderr.write(text_lines(aside_notices(verdict.set_aside)))
    if verdict.below:
        below = sorted(verdict.below, key=_order)
        sys.stderr.write(hook_text.warning(below, "below the configured fail-on severity (not blocking)", colour=False))
    if verdict.dead:
        what = "revoked or never valid (fail-on-verdict live: not blocking)"
        sys.stderr.write(hook_text.warning(sorted(verdict.dead, key=_order), what, colour=False))
    if not verdict.blocking and not verdict.unread and not verdict.damaged:
        from keylatch.report.untrusted import for_terminal

        print(f"keylatch: no keys in the commits being pushed to {for_terminal(plan.remote)}", file=sys.stderr)
        return ExitCode.CLEAN
    if verdict.blocking:
        colour = not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
        blocking = sorted(verdict.blocking, key=_order)
        named = plan.remote in push.remote_names(git)
        sys.stdout.write(hook_text.push_block(blocking, plan.remote, exact=plan.exact, named=named, colour=colour))
    if verdict.damaged:
        # After every key found elsewhere: each lost object once, then the push is blocked with
        # the damage in one line (exit 3), as `history` ends (history/damage.py).
        from keylatch.history.damage import headline
        from keylatch.report.notice import text_lines, unread

        lost = [(d.places[0][0] if d.places else "", d.message) for d in verdict.damaged]
        sys.stderr.write(text_lines(unread(lost)))
        raise headline(top, verdict.damaged)
    if verdict.unread:
        # After every key found elsewhere: each archive blob not read whole, then exit 3.
        from keylatch.report.history_report import unread_notices

        notices = unread_notices(verdict.unread)
        sys.stderr.write(hook_text.push_not_read(notices, len(verdict.unread), plan.remote))
        return ExitCode.SCAN_FAILED
    return ExitCode.LEAKS


def _check_remote(git: Git, remote: str) -> None:
    """REMOTE typed by hand (git always passes the URL too): a name `git remote` lacks that is no
    URL either is a typo, and scanning "everything not on it" would hide that."""
    from keylatch.sources import push

    if remote in push.remote_names(git) or push.looks_like_url(remote):
        return
    from keylatch.errors import UsageError
    from keylatch.report.untrusted import for_terminal

    raise UsageError(f"no remote named {for_terminal(remote)!r} (`git remote` lists them; a URL or path also works)")


def _order(f: Finding) -> tuple[str, str, int, int]:
    return (f.location.commit or "", f.location.path, f.location.line, f.location.column)
