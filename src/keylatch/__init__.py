"""keylatch: find OpenAI API keys before they leak, in CI, and in git history."""

__version__ = "0.1.0"
