"""One module per subcommand: `add_arguments(parser)` and `run(args) -> ExitCode`.

Command modules import only light modules at top level; each imports what its work needs inside
`run`, so `keylatch staged` never pays for GitPython or detect-secrets.
"""

# The order is the order of `keylatch --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "scan",
    "ci",
    "baseline",
    "plugin_path",
    "history",
    "revoke",
    "remediate",
    "org",
    "detect_secrets",
    "staged",
    "pre_push",
    "install_hook",
)
