"""Hook messages: short, fit a terminal, say where, what kind, and what to do next. Redacted only."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from keylatch.report.labels import IN_PATH, encoding_label, expiry_text, in_path, no_file_place, path_shown

TYPE_CHECKING = False  # keylatch.model (and hashlib) stay off a clean commit's import path
if TYPE_CHECKING:
    from keylatch.model import Finding
    from keylatch.report.notice import Notice

_RED = "\033[1;31m"
_YELLOW = "\033[33m"
_RESET = "\033[0m"
ROTATE_URL = "https://platform.openai.com/api-keys"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour else text


def _shown(text: str) -> str:
    """A path or remote name as the terminal may show it (report/untrusted.py)."""
    from keylatch.report.untrusted import PATH_LIMIT, for_terminal

    return for_terminal(text, PATH_LIMIT)


def shell_arg(path: str) -> str:
    """`path` as one argument a user can paste into a POSIX shell, shown safely.

    Plain names are quoted with shlex.quote (`'my key file.env'`). A name with control or other
    invisible characters is written in bash/zsh ANSI-C quoting with those characters as bytes
    (`$'a\\x1bb.env'`, U+202E as `\\xe2\\x80\\xae`): escaped on screen, yet still the real
    name when pasted, in any locale. A name holding a key is shown redacted (it is
    then no longer the real name, but a key is never printed).
    """
    import shlex

    from keylatch.report.untrusted import PATH_LIMIT, for_data

    safe = for_data(path, PATH_LIMIT)
    if safe.isprintable():
        return shlex.quote(safe)
    return "$'" + "".join(map(_ansi_c, safe)) + "'"


def _ansi_c(c: str) -> str:
    if c in "'\\":
        return "\\" + c
    if c.isprintable():
        return c
    # The bytes of the name (an undecodable byte is a lone surrogate here): the same in any locale.
    return _NAMED.get(c) or "".join(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogateescape"))


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _kind(f: Finding) -> str:
    from keylatch.rules import rule_by_id

    try:
        return rule_by_id(f.rule_id).description.split(" (")[0]
    except KeyError:
        return f.rule_id


# A hook's message must fit a terminal; the full list is one `--format json` (or ci) away.
MAX_LINES = 20


def _lines(
    findings: Sequence[Finding],
    notes: Mapping[Finding, str],
    with_commit: bool,
    more: str = "keylatch staged --format json",
) -> list[str]:
    rows = []
    for f in findings[:MAX_LINES]:
        loc = f.location
        loc = loc.replace(path=path_shown(loc.path, loc.line, f.secret.value, f.secret.redacted))
        if not loc.path:  # a commit's message, or a blob only a tag reaches: say which
            where = f"{_shown(no_file_place(loc.commit, loc.blob, loc.ref, loc.tag))}:{loc.line}"
        elif with_commit and loc.commit:
            where = f"{loc.commit[:12]} {_shown(loc.path)}:{loc.line}"
        elif loc.ref:  # in a tree only a ref reaches (a tag of a tree): git's `<ref>:<path>`
            where = f"{_shown(loc.ref)}:{_shown(loc.path)}:{loc.line}"
        else:
            where = f"{_shown(loc.path)}:{loc.line}"
        # Each occurrence says how it was written (one key may be plain here, base64 there).
        enc = f" {encoding_label(f.encoding)}" if f.encoding else ""
        if in_path(loc.line):  # a key written in a file or directory name (line 0)
            enc += f" ({IN_PATH})"
        # With `verify = true` the verdict shows beside the key (`[live; already in HEAD]`).
        note = "; ".join(n for n in (f.verified.verdict.label if f.verified else "", notes.get(f, "")) if n)
        rows.append((where, f"{f.secret.redacted}{enc}{expiry_text(f.secret.expires)}", _kind(f), note))
    width = max(len(r[0]) for r in rows)
    out = [f"  {w.ljust(width)}  {s}  {k}" + (f"  [{n}]" if n else "") for w, s, k, n in rows]
    if len(findings) > MAX_LINES:
        out.append(f"  ... and {len(findings) - MAX_LINES} more ({more} lists all)")
    return out


def _count(n: int) -> str:
    return f"{n} OpenAI key" + ("" if n == 1 else "s")


def _file_of(path: str, files: Collection[str]) -> str:
    """The file git knows for a finding's path: `bundle.zip!config/.env` (a member, labelled by
    sources/archives.py) is the archive `bundle.zip`; a path that is a file itself stays."""
    if not files or path in files:
        return path
    cut = path.find("!")
    while cut >= 0:
        if path[:cut] in files:
            return path[:cut]
        cut = path.find("!", cut + 1)
    return path


def staged_block(
    findings: Sequence[Finding],
    committed: Mapping[tuple[str, str], str],
    *,
    colour: bool,
    untracked: Collection[str] = (),
    first_commit: bool = False,
    batch: int = 0,
    files: Collection[str] = (),
) -> str:
    """The message of a refused commit. `committed` maps (path, fingerprint) to HEAD/MERGE_HEAD;
    `untracked` are given paths git does not track (read from disk: nothing of theirs is staged).
    On the `first_commit` there is no HEAD to restore from: `git rm --cached` unstages.

    The header says where each key is: "staged" only for a key the index adds, "committed" for
    one HEAD (or the branch being merged) already has (`pre-commit run --all-files` passes every
    tracked file, changed or not), "untracked" for a given file git does not track. `batch`: the
    number of files the pre-commit framework passed to this run (0: not under the framework);
    it runs the hook once per batch and shows every blocked batch's message, so each says so.
    `files`: the paths that were scanned; a key in an archive's member is unstaged as the archive."""
    notes = {}
    old_paths: list[str] = []
    for f in findings:
        ref = committed.get((f.location.path, f.fingerprint))
        if ref:
            notes[f] = f"already in {ref}"
            old_paths.append(_file_of(f.location.path, files))
    new_paths = sorted({_file_of(f.location.path, files) for f in findings if f not in notes})
    loose = set(untracked)
    staged_new = [p for p in new_paths if p not in loose]
    untracked_new = [p for p in new_paths if p in loose]
    kinds = (
        ("staged", any(f not in notes and f.location.path not in loose for f in findings)),
        ("committed", bool(notes)),
        ("untracked", any(f.location.path in loose for f in findings)),
    )
    where = _and([kind for kind, present in kinds if present])
    head = _paint("keylatch: commit blocked:", _RED, colour)
    part = f" (in a pre-commit batch of {batch} file{'s' if batch != 1 else ''})" if batch else ""
    out = [f"{head} {_count(len(findings))} in {where} files{part}", *_lines(findings, notes, with_commit=False)]
    if new_paths:
        out.append("next:")
        if staged_new:
            unstage = "git rm --cached" if first_commit else "git restore --staged"
            out.append(f"  - remove it and `git add` again, or unstage: {unstage} {_args(staged_new)}")
        if untracked_new:
            out.append(f"  - remove it before you `git add` (not tracked by git yet): {_args(untracked_new)}")
        out += [
            "  - load the key from an environment variable (OPENAI_API_KEY) or a secret store",
            "  - if it was ever pushed or shared, revoke and rotate it:",
            f"    {ROTATE_URL}",
        ]
    if old_paths:
        out += [
            f"already committed ({', '.join(sorted(set(map(_shown, old_paths))))}): not added by this commit. Either",
            "  - accept it (revoked or a test key): keylatch baseline update --reason '...'",
            "    and commit .keylatch-baseline.json, or add a `keylatch:allow` comment on its line; or",
            "  - remove it, revoke and rotate it, and purge it from history if it was pushed:",
            f"    {ROTATE_URL}",
        ]
    return "\n".join(out) + "\n"


def _and(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _args(paths: Sequence[str]) -> str:
    """Every path, each quoted as one shell argument (`--` keeps a name like `-x` a path)."""
    dash = ["--"] if any(p.startswith("-") for p in paths) else []
    return " ".join([*dash, *map(shell_arg, paths)])


def push_block(
    findings: Sequence[Finding], remote: str, *, exact: bool = True, named: bool = True, colour: bool
) -> str:
    """The message of a refused push: the key is still only local, so say how to take it out.

    `exact` is False when the pushed refs were unknown and every unpushed local commit was checked.
    `named` is False when `remote` is a URL or path (no `<remote>/<branch>` tracking refs to name).
    """
    head = _paint("keylatch: push blocked:", _RED, colour)
    remote = _shown(remote)
    commits = {f.location.commit for f in findings if f.location.commit}
    scope = [] if exact else [f"(refs of this push not visible: checked every local branch and tag not on {remote})"]
    n = len(commits)
    tags = len({f.location.blob for f in findings if f.location.tag})
    # A blob or tree a pushed ref points at (`git tag keys <blob>`): in no commit either.
    refs = sorted({f.location.ref for f in findings if f.location.ref and not f.location.commit and not f.location.tag})
    where = [f"{n} commit{'s' if n != 1 else ''}"] if n or not (tags or refs) else []
    if tags:  # a key in an annotated tag's message is in no commit
        where.append(f"{tags} tag{'s' if tags != 1 else ''}")
    if refs:
        where.append(f"{len(refs)} ref{'s' if len(refs) != 1 else ''} to a blob or tree")
    fixes = ["  - rewrite those commits without it: git rebase -i <base> (git commit --amend for the last)"]
    if refs:
        rest = " (and the rest)" if len(refs) > 1 else ""
        drop = f"  - drop or re-point {_shown(refs[0])}{rest}: it names the object itself (git tag -d <tag>)"
        fixes = [*(fixes if n else []), drop]
    out = [
        f"{head} {_count(len(findings))} in {' and '.join(where)} not yet on {remote}",
        *_lines(
            findings,
            {},
            with_commit=True,
            more=f"keylatch history --range {f'{remote}/<branch>' if named else '<base>'}..<branch>",
        ),
        *scope,
        "next:",
        *fixes,
        "  - load the key from an environment variable (OPENAI_API_KEY) or a secret store",
        "  - if it was ever pushed or shared, revoke and rotate it:",
        f"    {ROTATE_URL}",
        "  - revoked or a test key: keylatch baseline update --history (commit and push it first) or a"
        " `keylatch:allow` comment",
    ]
    return "\n".join(out) + "\n"


def warning(findings: Sequence[Finding], what: str, *, colour: bool) -> str:
    head = _paint("keylatch: warning:", _YELLOW, colour)
    out = [f"{head} {_count(len(findings))} {what}"]
    out += _lines(findings, {}, with_commit=False)
    return "\n".join(out) + "\n"


def settings_notice(notice: Notice, remote: str) -> str:
    """A pre-push notice: the push changes keylatch's settings (not applied to it), or the
    remote's settings could not be applied. Notice texts are already safe to print."""
    from keylatch.report.notice import SETTINGS_CHANGED

    if notice.kind != SETTINGS_CHANGED:
        return f"keylatch: warning: {notice.message}\n"
    return (
        f"keylatch: warning: the pushed commits change keylatch's settings in {notice.path}; not applied to "
        f"this push, which is judged with the settings {_shown(remote)} already has (push that change on "
        "its own first)\n"
    )


def push_not_read(notices: Sequence[Notice], count: int, remote: str) -> str:
    """Archive blobs of the push that could not be read whole (report/notice.py `not-scanned`
    notices, already safe, at most UNREAD_SHOWN and a count): named, then the verdict. The push
    stops (exit 3) whatever was found: "no keys" would not be true of what was not read."""
    from keylatch.report.notice import text_lines

    blobs = f"{count} archive blob{'s' if count != 1 else ''}"
    return text_lines(notices) + (
        f"keylatch: push to {_shown(remote)} blocked: {blobs} in the pushed commits could not be read whole "
        "(exit 3; each is named above with why)\n"
    )
